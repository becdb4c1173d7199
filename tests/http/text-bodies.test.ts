/**
 * Issue 8, D6: a text message's body is read as what it is. `application/*+json` is JSON; a JSON
 * object sent with curl's default form Content-Type (`curl -d '{…}'`) is accepted as JSON, byte
 * for byte (a `+` stays a `+`); a form body that starts like JSON but does not parse says so.
 */
import { afterEach, describe, expect, test } from '@jest/globals';
import request from 'supertest';
import { buildTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
afterEach(() => t?.cleanup());

const MESSAGE = 'Total: 2+2 = 4 & 50% off; "quoted" — Grüße';
const BODY = JSON.stringify({ phone: '+62 812-3456-7890', message: MESSAGE });

describe('JSON bodies under other Content-Types', () => {
  test.each(['application/vnd.api+json', 'application/merge-patch+json; charset=utf-8', 'application/ld+json'])('%s is parsed as JSON', async (type) => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').set('Content-Type', type).send(BODY);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ phone: '6281234567890', message: MESSAGE });
    expect(t.transport.sent[0]?.text).toBe(MESSAGE);
  });

  test('curl -d with a JSON object (sent as application/x-www-form-urlencoded) is accepted as JSON', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').set('Content-Type', 'application/x-www-form-urlencoded').send(BODY);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ phone: '6281234567890', message: MESSAGE });
    expect(t.transport.sent[0]?.text).toBe(MESSAGE);
  });

  test('a form body that starts like JSON but is broken says what was received', async () => {
    t = await buildTestApp();
    const res = await request(t.app)
      .post('/api/send-message')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('{"phone":"6281234567890","message":');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      status: 'error',
      message: expect.stringMatching(
        /^Malformed JSON in request body \(it was sent as application\/x-www-form-urlencoded; send JSON with Content-Type: application\/json\)$/,
      ),
      timestamp: expect.any(String),
      code: 'MALFORMED_JSON',
    });
    expect(t.transport.sent).toHaveLength(0);
  });

  test('a JSON array sent as a form is not taken for a message', async () => {
    t = await buildTestApp();
    const res = await request(t.app).post('/api/send-message').set('Content-Type', 'application/x-www-form-urlencoded').send('[{"phone":"6281234567890"}]');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ status: 'error', code: 'PHONE_REQUIRED' });
  });

  test('an ordinary form still works, with + meaning a space as forms say', async () => {
    t = await buildTestApp();
    const res = await request(t.app)
      .post('/api/send-message')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send('phone=6281234567890&message=hello+there%21');
    expect(res.status).toBe(200);
    expect(t.transport.sent[0]?.text).toBe('hello there!');
  });
});
