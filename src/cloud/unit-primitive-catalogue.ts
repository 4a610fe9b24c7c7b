import { readFileSync } from 'node:fs';

/** A backend service that honours unit primitives, named in tokens by its audience. */
export interface BackendService {
  name: string;
  audience: string;
}

/** One unit primitive: a permission a Cloud Connector token can carry. */
export interface UnitPrimitive {
  name: string;
  /** Add-ons that unlock it. */
  addOns: readonly string[];
  /** Services that accept it. */
  services: readonly string[];
}

/** Thrown at start-up when the catalogue file is malformed; the message says where. */
export class CatalogueError extends Error {
  constructor(problem: string) {
    super(`unit primitive catalogue: ${problem}`);
    this.name = 'CatalogueError';
  }
}

const NAME = /^[a-z][a-z0-9_]*$/;

/**
 * The unit primitives, the add-ons that unlock them and the services that accept them: which scopes
 * an instance token carries, which a user token may carry, and which audiences they are for.
 *
 * @example
 * const catalogue = unitPrimitiveCatalogue();
 * catalogue.primitivesFor(['duo_pro'], 'ai_gateway'); // ['complete_code', 'generate_code', …]
 */
export class UnitPrimitiveCatalogue {
  readonly services: readonly BackendService[];
  readonly addOns: readonly string[];
  readonly primitives: readonly UnitPrimitive[];

  constructor(data: unknown) {
    const root = record(data, 'the document');
    this.services = Object.entries(record(root.services, 'services')).map(([name, value]) => {
      const audience = record(value, `services.${name}`).audience;
      if (!NAME.test(name) || typeof audience !== 'string' || audience === '') {
        throw new CatalogueError(`service "${name}" needs a snake_case name and an audience`);
      }
      return { name, audience };
    });
    this.addOns = Object.keys(record(root.add_ons, 'add_ons'));
    for (const addOn of this.addOns) {
      if (!NAME.test(addOn)) throw new CatalogueError(`add-on "${addOn}" must be snake_case`);
    }
    if (!Array.isArray(root.unit_primitives)) throw new CatalogueError('unit_primitives must be a list');
    const seen = new Set<string>();
    this.primitives = root.unit_primitives.map((entry: unknown, index: number) => {
      const where = `unit_primitives[${index}]`;
      const item = record(entry, where);
      const name = item.name;
      if (typeof name !== 'string' || !NAME.test(name) || seen.has(name)) {
        throw new CatalogueError(`${where} needs a unique snake_case name`);
      }
      seen.add(name);
      const addOns = names(item.add_ons, `${name}.add_ons`, this.addOns);
      const services = names(
        item.services,
        `${name}.services`,
        this.services.map((s) => s.name),
      );
      return Object.freeze({ name, addOns, services });
    });
  }

  isAddOn(name: string): boolean {
    return this.addOns.includes(name);
  }

  /** Unit primitives any of `addOns` unlocks, optionally only those `service` accepts; catalogue order. */
  primitivesFor(addOns: readonly string[], service?: string): string[] {
    return this.primitives
      .filter((p) => p.addOns.some((a) => addOns.includes(a)))
      .filter((p) => service === undefined || p.services.includes(service))
      .map((p) => p.name);
  }

  /** Every unit primitive a service accepts. */
  primitivesOf(service: string): string[] {
    return this.primitives.filter((p) => p.services.includes(service)).map((p) => p.name);
  }

  /** Audiences of the services that accept at least one of `primitives`. */
  audiencesFor(primitives: readonly string[]): string[] {
    return this.services
      .filter((s) => this.primitives.some((p) => p.services.includes(s.name) && primitives.includes(p.name)))
      .map((s) => s.audience);
  }

  audienceOf(service: string): string {
    const found = this.services.find((s) => s.name === service);
    if (!found) throw new CatalogueError(`no service "${service}"`);
    return found.audience;
  }
}

let loaded: UnitPrimitiveCatalogue | undefined;

/** The catalogue of `unit-primitives.json`, read and validated once (call it at start-up to fail early). */
export function unitPrimitiveCatalogue(): UnitPrimitiveCatalogue {
  loaded ??= new UnitPrimitiveCatalogue(
    JSON.parse(readFileSync(new URL('./unit-primitives.json', import.meta.url), 'utf8')),
  );
  return loaded;
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CatalogueError(`${where} must be an object`);
  }
  return value as Record<string, unknown>;
}

function names(value: unknown, where: string, known: readonly string[]): readonly string[] {
  if (!Array.isArray(value) || value.length === 0)
    throw new CatalogueError(`${where} must be a non-empty list`);
  for (const name of value) {
    if (typeof name !== 'string' || !known.includes(name)) {
      throw new CatalogueError(`${where} names "${String(name)}", which is not declared`);
    }
  }
  return Object.freeze([...(value as string[])]);
}
