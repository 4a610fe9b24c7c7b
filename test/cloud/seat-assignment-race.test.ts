import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/databases.ts';
import type { TestInstance } from '../support/instance.ts';
import {
  startCloudInstance,
  startTestAuthority,
  userWithToken,
  type TestAuthority,
} from './support/cloud-world.ts';
import { request } from './support/http.ts';

const CONTENDERS = 6;

describe.each(ENGINES)('assigning the last seats at once (%s)', (engine) => {
  let authority: TestAuthority;
  let instance: TestInstance;
  let admin: { token: string };

  beforeAll(async () => {
    authority = await startTestAuthority();
    instance = await startCloudInstance({ authorityUrl: authority.url, engine, name: `seat-race-${engine}` });
    admin = await userWithToken(instance, { admin: true });
    const { code } = await authority.createLicense([{ name: 'duo_pro', seats: 2 }]);
    const activated = await request('POST', `${instance.url}/api/v4/admin/cloud_connector/activate`, {
      token: admin.token,
      body: { activation_code: code },
    });
    expect(activated.status).toBe(201);
  });
  afterAll(async () => {
    await instance?.stop();
    await authority?.stop();
  });

  it('hands out exactly the seats bought, however many admins ask together', async () => {
    const people = await Promise.all(
      Array.from({ length: CONTENDERS }, () => userWithToken(instance, { scopes: ['read_user'] })),
    );
    const answers = await Promise.all(
      people.map(({ user }) =>
        request('POST', `${instance.url}/api/v4/admin/add_ons/duo_pro/seats/${user.id}`, {
          token: admin.token,
        }),
      ),
    );
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses).toEqual([201, 201, ...Array<number>(CONTENDERS - 2).fill(422)]);
    const seats = await instance.context.db
      .selectFrom('add_on_seats')
      .select('user_id')
      .where('add_on', '=', 'duo_pro')
      .execute();
    expect(seats).toHaveLength(2);
    const assigned = await instance.context.db
      .selectFrom('audit_events')
      .select('id')
      .where('action', '=', 'add_on_seat.assigned')
      .execute();
    expect(assigned).toHaveLength(2);
  });
});
