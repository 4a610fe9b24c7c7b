import { describe, expect, it } from 'vitest';
import { optionalBoolean } from '../../src/http/api-params.ts';
import { MAX_PARAMETERS, parseUrlEncoded } from '../../src/http/request-conventions.ts';

describe('GitLab parameter conventions', () => {
  it.each([
    ['scopes[]=api&scopes[]=read_user', { scopes: ['api', 'read_user'] }],
    ['scope=a&scope=b', { scope: ['a', 'b'] }],
    ['variables[KEY]=value&variables[OTHER]=x', { variables: { KEY: 'value', OTHER: 'x' } }],
    ['filter[environment_scope]=prod', { filter: { environment_scope: 'prod' } }],
    ['a[b][]=1&a[b][]=2', { a: { b: ['1', '2'] } }],
    ['name=two+words&empty=', { name: 'two words', empty: '' }],
    ['odd]key=1', { 'odd]key': '1' }],
    [
      'g[][access]=user&g[][permissions][]=read_user&g[][access]=selected_memberships&g[][permissions][]=download_code&g[][permissions][]=read_project&g[][project_ids][]=7',
      {
        g: [
          { access: 'user', permissions: ['read_user'] },
          {
            access: 'selected_memberships',
            permissions: ['download_code', 'read_project'],
            project_ids: ['7'],
          },
        ],
      },
    ],
  ])('reads %s the Rails way', (query, expected) => {
    expect(parseUrlEncoded(query)).toEqual(expected);
  });

  it('drops keys that would reach a prototype', () => {
    const parsed = parseUrlEncoded('__proto__[admin]=1&a[constructor][prototype]=x&ok=1');
    expect(parsed).toEqual({ ok: '1' });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('refuses more parameters than any request has', () => {
    const many = Array.from({ length: MAX_PARAMETERS + 1 }, (_, i) => `p${i}=1`).join('&');
    expect(() => parseUrlEncoded(many)).toThrow('Too many parameters');
  });

  it.each(['true', 'True', 'TRUE', 't', 'yes', 'Y', 'on', '1', 1, true])('reads %s as true', (value) => {
    expect(optionalBoolean({ flag: value }, 'flag')).toBe(true);
  });

  it.each(['false', 'False', 'FALSE', 'f', 'no', 'N', 'off', '0', 0, false])('reads %s as false', (value) => {
    expect(optionalBoolean({ flag: value }, 'flag')).toBe(false);
  });

  it('leaves an absent or blank boolean unset and names a malformed one', () => {
    expect(optionalBoolean({}, 'flag')).toBeUndefined();
    expect(optionalBoolean({ flag: '' }, 'flag')).toBeUndefined();
    expect(() => optionalBoolean({ flag: 'maybe' }, 'flag')).toThrow('flag is invalid');
  });
});
