"""A Python probe of the workflow service's standard health service (grpc.health.v1), with stubs
generated from the repository's copy of the public health.proto by Debian's python3-grpc-tools:
Check for the server and for the workflow service, Check of an unknown service, and the first
message of Watch. Prints one JSON object on stdout."""
import json
import os
import sys

import grpc

sys.path.insert(0, os.environ["STUBS_DIR"])
# Generated at the top of STUBS_DIR: under grpc/health/v1/ they would collide with grpcio's own `grpc`.
import health_pb2 as pb  # noqa: E402
import health_pb2_grpc as pb_grpc  # noqa: E402

SERVICE = "tessera.workflow.v1.WorkflowService"


def name(status):
    return pb.HealthCheckResponse.ServingStatus.Name(status)


with grpc.insecure_channel(os.environ["WORKFLOW_SERVICE_ADDRESS"]) as channel:
    stub = pb_grpc.HealthStub(channel)
    result = {
        "server": name(stub.Check(pb.HealthCheckRequest(service=""), timeout=10).status),
        "service": name(stub.Check(pb.HealthCheckRequest(service=SERVICE), timeout=10).status),
    }
    try:
        stub.Check(pb.HealthCheckRequest(service="no.such.Service"), timeout=10)
        result["unknown"] = "OK"
    except grpc.RpcError as error:
        result["unknown"] = error.code().name
    watch = stub.Watch(pb.HealthCheckRequest(service=SERVICE), timeout=10)
    result["watch_first"] = name(next(watch).status)
    watch.cancel()
    print(json.dumps(result))
