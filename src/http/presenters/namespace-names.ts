import type { Executor } from '../../store/database.ts';
import { namespaceWithAncestors } from '../../store/namespaces.repository.ts';
import type { Namespace } from '../../store/schema.ts';

/**
 * Human names of namespaces with their ancestors (`Platform / Infra`), for GitLab's `full_name` and
 * `name_with_namespace`; each chain is read once per response however many items share it.
 */
export class NamespaceNames {
  readonly #chains = new Map<number, Promise<Namespace[]>>();

  constructor(private readonly db: Executor) {}

  /** The namespace itself, with `fullName` built from its ancestors' names. */
  async describe(namespaceId: number): Promise<{ namespace: Namespace; fullName: string }> {
    let chain = this.#chains.get(namespaceId);
    if (!chain) {
      chain = namespaceWithAncestors(this.db, namespaceId);
      this.#chains.set(namespaceId, chain);
    }
    const namespaces = await chain;
    return {
      namespace: namespaces[0]!,
      fullName: namespaces
        .map((n) => n.name)
        .reverse()
        .join(' / '),
    };
  }
}
