import { describe, expect, it } from 'vitest';
import { instanceTokenClaims } from '../../src/cloud/license-authority/instance-token-claims.ts';
import {
  CatalogueError,
  UnitPrimitiveCatalogue,
  unitPrimitiveCatalogue,
} from '../../src/cloud/unit-primitive-catalogue.ts';

const minimal = (primitives: unknown[]) => ({
  services: { ai_gateway: { audience: 'gitlab-ai-gateway' } },
  add_ons: { duo_pro: {} },
  unit_primitives: primitives,
});

describe('the unit primitive catalogue', () => {
  const catalogue = unitPrimitiveCatalogue();

  it('loads the shipped file: every primitive the services honour, each unlocked by add-ons', () => {
    expect(catalogue.addOns).toEqual(['duo_core', 'duo_pro', 'duo_enterprise']);
    expect(catalogue.primitivesOf('ai_gateway')).toEqual(
      expect.arrayContaining(['complete_code', 'generate_code', 'duo_chat', 'explain_code']),
    );
    expect(catalogue.primitivesOf('workflow_service')).toEqual([
      'duo_agent_platform',
      'duo_workflow_execute_workflow',
      'duo_workflow_generate_token',
    ]);
    expect(catalogue.audienceOf('workflow_service')).toBe('gitlab-duo-workflow-service');
  });

  it('maps add-ons to their primitives, optionally for one service', () => {
    expect(catalogue.primitivesFor(['duo_core'])).toEqual(['duo_chat', 'explain_code']);
    expect(catalogue.primitivesFor(['duo_enterprise'], 'workflow_service')).toHaveLength(3);
    expect(catalogue.primitivesFor(['duo_pro'], 'workflow_service')).toEqual([]);
    expect(catalogue.primitivesFor([])).toEqual([]);
  });

  it('builds instance token claims from add-ons: scopes and the audiences that accept them', () => {
    expect(instanceTokenClaims(['duo_pro'], catalogue, 'self-managed')).toEqual({
      audience: ['gitlab-ai-gateway'],
      scopes: ['complete_code', 'generate_code', 'duo_chat', 'explain_code', 'generate_commit_message'],
      gitlab_realm: 'self-managed',
    });
    expect(instanceTokenClaims(['duo_enterprise'], catalogue, 'saas').audience).toEqual([
      'gitlab-ai-gateway',
      'gitlab-duo-workflow-service',
    ]);
  });

  it.each([
    ['an unknown add-on', [{ name: 'x', add_ons: ['duo_ultra'], services: ['ai_gateway'] }], /duo_ultra/],
    ['an unknown service', [{ name: 'x', add_ons: ['duo_pro'], services: ['mainframe'] }], /mainframe/],
    [
      'no add-on',
      [{ name: 'x', add_ons: [], services: ['ai_gateway'] }],
      /x.add_ons must be a non-empty list/,
    ],
    [
      'a duplicate',
      [
        { name: 'x', add_ons: ['duo_pro'], services: ['ai_gateway'] },
        { name: 'x', add_ons: ['duo_pro'], services: ['ai_gateway'] },
      ],
      /unit_primitives\[1\] needs a unique snake_case name/,
    ],
    [
      'a bad name',
      [{ name: 'Complete Code', add_ons: ['duo_pro'], services: ['ai_gateway'] }],
      /unique snake_case/,
    ],
  ])('refuses a catalogue with %s, naming the place', (_case, primitives, message) => {
    expect(() => new UnitPrimitiveCatalogue(minimal(primitives))).toThrow(CatalogueError);
    expect(() => new UnitPrimitiveCatalogue(minimal(primitives))).toThrow(message);
  });
});
