import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { grantedActions, registryAccessClaim } from '../../src/registry/registry-claims.ts';
import {
  MAX_SCOPES,
  TooManyScopesError,
  isRepositoryName,
  parseRegistryScope,
  parseRegistryScopes,
} from '../../src/registry/registry-scope.ts';

describe('registry scope strings', () => {
  it('reads type, name and the known actions of a scope', () => {
    expect(parseRegistryScope('repository:group/app:pull,push')).toEqual({
      type: 'repository',
      name: 'group/app',
      actions: ['pull', 'push'],
    });
    expect(parseRegistryScope('repository:localhost:5000/group/app:pull')).toMatchObject({
      name: 'localhost:5000/group/app',
      actions: ['pull'],
    });
    expect(parseRegistryScope('registry:catalog:*')).toEqual({
      type: 'registry',
      name: 'catalog',
      actions: ['*'],
    });
    expect(parseRegistryScope('repository(plugin):g/app:pull')).toMatchObject({ type: 'repository(plugin)' });
  });

  it('drops unknown and repeated actions, keeping the order asked', () => {
    expect(parseRegistryScope('repository:g/app:push,fly,pull,push,')?.actions).toEqual(['push', 'pull']);
    expect(parseRegistryScope('repository:g/app:')?.actions).toEqual([]);
  });

  it('answers null for what is not a scope at all', () => {
    for (const raw of [
      '',
      'repository',
      'repository:g/app',
      ':g/app:pull',
      'REPO:g/app:pull',
      `repository:${'a'.repeat(600)}:pull`,
    ]) {
      expect(parseRegistryScope(raw)).toBeNull();
    }
  });

  it('accepts the repository names distribution accepts, and no others', () => {
    for (const name of ['app', 'group/app', 'a/b/c/d', 'my-group/my_app.v2', 'a__b', 'a---b']) {
      expect(isRepositoryName(name)).toBe(true);
    }
    for (const name of [
      '',
      'Group/app',
      'group//app',
      '/app',
      'app/',
      'a_-b',
      '.app',
      'a'.repeat(256),
      'g/app:tag',
    ]) {
      expect(isRepositoryName(name)).toBe(false);
    }
  });

  it('is total on any input: a scope or null, never an exception', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 700 }), (raw) => {
        const scope = parseRegistryScope(raw);
        if (scope !== null) {
          expect(scope.actions.every((a) => ['pull', 'push', 'delete', '*'].includes(a))).toBe(true);
          expect(raw.startsWith(`${scope.type}:${scope.name}:`)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('checks a hostile repository name in linear time', () => {
    const started = performance.now();
    expect(isRepositoryName(`${'a'.repeat(200)}-${'a'.repeat(50)}!`)).toBe(false);
    expect(isRepositoryName(`${'a-'.repeat(120)}!`)).toBe(false);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('takes repeated scope parameters and space-separated ones, and refuses too many', () => {
    expect(
      parseRegistryScopes(['repository:a/b:pull', 'repository:c/d:push registry:catalog:*']),
    ).toHaveLength(3);
    expect(parseRegistryScopes('not-a-scope')).toEqual([]);
    expect(parseRegistryScopes(undefined)).toEqual([]);
    expect(parseRegistryScopes({ nested: 'object' })).toEqual([]);
    expect(() =>
      parseRegistryScopes(Array.from({ length: MAX_SCOPES + 1 }, () => 'repository:a/b:pull')),
    ).toThrow(TooManyScopesError);
  });
});

describe('registry grants', () => {
  it('grants only the actions the ability allows, and * only with all three', () => {
    const reporter = { pull: true, push: false, delete: false };
    const developer = { pull: true, push: true, delete: true };
    expect(grantedActions(['pull', 'push'], reporter)).toEqual(['pull']);
    expect(grantedActions(['*'], reporter)).toEqual([]);
    expect(grantedActions(['*', 'delete'], developer)).toEqual(['*', 'delete']);
  });

  it('leaves empty grants out of the access claim and merges a resource asked twice', () => {
    expect(
      registryAccessClaim([
        { type: 'repository', name: 'g/a', actions: ['pull'] },
        { type: 'repository', name: 'g/b', actions: [] },
        { type: 'repository', name: 'g/a', actions: ['push', 'pull'] },
      ]),
    ).toEqual([{ type: 'repository', name: 'g/a', actions: ['pull', 'push'] }]);
  });
});
