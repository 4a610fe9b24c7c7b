"""A Python client of Tessera's workflow service, built only from the repository's .proto with
Debian's python3-grpcio and python3-grpc-tools: GenerateToken with an instance token, then
ExecuteWorkflow with the user token it returns. Prints one JSON object (never a token) on stdout."""
import json
import os
import queue
import sys

import grpc

sys.path.insert(0, os.environ["STUBS_DIR"])
import workflow_service_pb2 as pb  # noqa: E402
import workflow_service_pb2_grpc as pb_grpc  # noqa: E402

context = [
    ("x-gitlab-authentication-type", "oidc"),
    ("x-gitlab-instance-id", os.environ["INSTANCE_ID"]),
    ("x-gitlab-realm", "self-managed"),
    ("x-gitlab-global-user-id", "python-user"),
]


def bearer(token):
    return [("authorization", "Bearer " + token)] + context


def status_of(call):
    try:
        call()
        return "OK"
    except grpc.RpcError as error:
        return error.code().name


def execute(stub, token, goal):
    events = queue.Queue()
    start = pb.StartWorkflowRequest(workflow_id="py-1", goal=goal, workflow_definition="software_development")
    events.put(pb.ClientEvent(start_request=start))

    def requests():
        while True:
            event = events.get()
            if event is None:
                return
            yield event

    actions = []
    for action in stub.ExecuteWorkflow(requests(), metadata=bearer(token)):
        kind = action.WhichOneof("action")
        actions.append({"request_id": action.request_id, "kind": kind})
        if kind in ("run_command", "read_file", "commit_change", "add_comment"):
            events.put(pb.ClientEvent(action_response=pb.ActionResponse(request_id=action.request_id, response="ok")))
        elif kind == "finished":
            events.put(None)
    return actions


with grpc.insecure_channel(os.environ["WORKFLOW_SERVICE_ADDRESS"]) as channel:
    stub = pb_grpc.WorkflowServiceStub(channel)
    instance_token = os.environ["INSTANCE_TOKEN"]
    response = stub.GenerateToken(
        pb.GenerateTokenRequest(workflow_definition="software_development"), metadata=bearer(instance_token)
    )
    result = {
        "expires_at": response.expires_at,
        "token_parts": len(response.token.split(".")),
        "actions": execute(stub, response.token, "document the release process"),
        "execute_with_instance_token": status_of(lambda: execute(stub, instance_token, "x")),
        "generate_without_token": status_of(lambda: stub.GenerateToken(pb.GenerateTokenRequest(), metadata=context)),
    }
    print(json.dumps(result))
