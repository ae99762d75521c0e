// An outside client for LearnHub: nothing generated ahead of time, the repository's protos/ loaded at run time,
// the same way any Node service would call the API.
//
//   LEARNHUB_GRPC_ADDRESS  host:port of the gRPC (HTTP/2) endpoint, e.g. 127.0.0.1:5080
//   LEARNHUB_TOKEN         a bearer token of an instructor (`dotnet run --project src/LearnHub.Server -- token --user …`)
//
// Run: npm ci && LEARNHUB_GRPC_ADDRESS=… LEARNHUB_TOKEN=… node --test
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const protosRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../protos');
const address = requiredEnv('LEARNHUB_GRPC_ADDRESS');
const token = requiredEnv('LEARNHUB_TOKEN');
const zone = 'Asia/Shanghai';
const callDeadlineMs = 10_000;

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Set ${name} (see the header of ${path.basename(fileURLToPath(import.meta.url))}).`);
  }
  return value;
}

const definition = protoLoader.loadSync(
  ['learnhub/v1/sessions.proto', 'learnhub/v1/identity.proto', 'grpc/health/v1/health.proto'],
  { includeDirs: [protosRoot], keepCase: false, longs: String, enums: String, defaults: true, oneofs: true },
);
const loaded = grpc.loadPackageDefinition(definition);
const { SessionService, IdentityService } = loaded.learnhub.v1;
const { Health } = loaded.grpc.health.v1;

// Plaintext HTTP/2 (h2c), as the embedded default listens on loopback.
const insecure = grpc.credentials.createInsecure();
// grpc-js refuses call credentials on an insecure channel: the token travels as per-call metadata.
function authMetadata() {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

let health;
let sessions;
let identity;

before(() => {
  health = new Health(address, insecure);
  sessions = new SessionService(address, insecure);
  identity = new IdentityService(address, insecure);
});

after(() => {
  for (const client of [health, sessions, identity]) {
    client?.close();
  }
});

/** Calls a unary method as a promise, with a deadline; `metadata` null means anonymous. */
function unary(client, method, request, metadata = authMetadata()) {
  return new Promise((resolve, reject) => {
    const options = { deadline: new Date(Date.now() + callDeadlineMs) };
    const callback = (error, response) => (error ? reject(error) : resolve(response));
    if (metadata) {
      client[method](request, metadata, options, callback);
    } else {
      client[method](request, options, callback);
    }
  });
}

/** "MM-dd HH:mm" of an instant in an IANA zone: the format of the panel's badge. */
function panelTime(date, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-GB', {
      timeZone, month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
    }).formatToParts(date).map((p) => [p.type, p.value]),
  );
  return `${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** The fields of a protobuf message: varints as BigInt, length-delimited as Buffer (enough for google.rpc.Status). */
function protoFields(buffer) {
  const fields = [];
  let at = 0;
  const varint = () => {
    let value = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buffer[at++];
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        return value;
      }
    }
  };
  while (at < buffer.length) {
    const key = varint();
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (wireType === 0) {
      fields.push({ number, value: varint() });
    } else if (wireType === 2) {
      const length = Number(varint());
      fields.push({ number, value: buffer.subarray(at, at + length) });
      at += length;
    } else {
      throw new Error(`unexpected wire type ${wireType} in google.rpc.Status`);
    }
  }
  return fields;
}

/** The field names of the google.rpc.BadRequest in a call error's grpc-status-details-bin trailer. */
function badRequestFields(error) {
  const [details] = error.metadata?.get('grpc-status-details-bin') ?? [];
  assert.ok(details, 'the error carries no grpc-status-details-bin');
  const anys = protoFields(details).filter((f) => f.number === 3).map((f) => protoFields(f.value));
  const badRequest = anys.find((any) => any.some((f) => f.number === 1 && f.value.toString() === 'type.googleapis.com/google.rpc.BadRequest'));
  assert.ok(badRequest, 'the status details hold no google.rpc.BadRequest');
  const value = badRequest.find((f) => f.number === 2).value;
  return protoFields(value)
    .filter((f) => f.number === 1)
    .map((violation) => protoFields(violation.value).find((f) => f.number === 1).value.toString());
}

test('grpc.health.v1.Health/Check answers SERVING without a token', async () => {
  const response = await unary(health, 'check', { service: '' }, null);
  assert.equal(response.status, 'SERVING');
});

test('a call without a token is refused with UNAUTHENTICATED', async () => {
  await assert.rejects(
    unary(sessions, 'listSessions', {}, null),
    (error) => error.code === grpc.status.UNAUTHENTICATED,
  );
});

test('the public 直播推荐 answers without a token', async () => {
  const response = await unary(sessions, 'listRecommendations', {}, null);
  assert.ok(Array.isArray(response.items));
});

test('a refusal names the fields at fault in google.rpc.BadRequest', async () => {
  const error = await unary(sessions, 'createSession', {
    title: '',
    plannedStart: { seconds: Math.floor(Date.now() / 1000) - 3600, nanos: 0 },
    durationMinutes: 0,
    timeZone: 'Mars/Olympus_Mons',
  }).then(() => assert.fail('an invalid session was created'), (e) => e);
  assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
  assert.deepEqual(badRequestFields(error).sort(), ['duration_minutes', 'planned_start', 'time_zone', 'title']);
});

test('an undecodable request (a title that is not UTF-8) is INVALID_ARGUMENT naming the field', async () => {
  // A client of its own making: the request is sent as raw bytes, as a broken or hostile client could.
  const raw = grpc.makeGenericClientConstructor({
    createSession: {
      path: '/learnhub.v1.SessionService/CreateSession',
      requestStream: false,
      responseStream: false,
      requestSerialize: (bytes) => bytes,
      requestDeserialize: (bytes) => bytes,
      responseSerialize: (bytes) => bytes,
      responseDeserialize: (bytes) => bytes,
    },
  }, 'RawSessionService');
  const client = new raw(address, insecure);
  try {
    // Field 1 (title), 3 bytes: 'a', then 0xC3 0x28, which is not UTF-8.
    const error = await unary(client, 'createSession', Buffer.from([0x0a, 0x03, 0x61, 0xc3, 0x28]))
      .then(() => assert.fail('an undecodable request was accepted'), (e) => e);
    assert.equal(error.code, grpc.status.INVALID_ARGUMENT, error.details);
    // No accept-language: zh-CN, one language, no field key in the message (the field is in BadRequest).
    assert.equal(error.details, '请求无法解码：其中的文本不是有效的 UTF-8。');
    assert.deepEqual(badRequestFields(error), ['title']);
  } finally {
    client.close();
  }
});

test('a session created by an instructor shows in 直播推荐 with its badge', async () => {
  const me = await unary(identity, 'getMe', {});
  assert.ok(me.roles.includes('instructor'), `the token's user ${me.handle} must be an instructor (roles: ${me.roles})`);

  // A whole minute well in the future; a server that already holds sessions of this instructor may
  // refuse the time as a conflict (FAILED_PRECONDITION), so try a few others.
  const title = `Node 互通测试 ${randomUUID().slice(0, 8)}`;
  let created;
  for (let attempt = 0; !created; attempt++) {
    const minutesAhead = 3 * 24 * 60 + Math.floor(Math.random() * 300 * 24 * 60);
    const start = new Date(Math.floor(Date.now() / 60_000 + minutesAhead) * 60_000);
    try {
      created = await unary(sessions, 'createSession', {
        title,
        plannedStart: { seconds: start.getTime() / 1000, nanos: 0 },
        durationMinutes: 45,
        timeZone: zone,
        requestId: randomUUID(),
      });
    } catch (error) {
      if (error.code !== grpc.status.FAILED_PRECONDITION || attempt >= 4) {
        throw error;
      }
    }
  }
  assert.equal(created.title, title);
  assert.equal(created.status, 'SESSION_STATUS_SCHEDULED');
  assert.equal(created.instructorId, me.id);

  const start = new Date(Number(created.plannedStart.seconds) * 1000);
  const expectedTime = panelTime(start, zone);

  // The panel lists live sessions first, then upcoming ones soonest first: page until ours appears.
  let found;
  let pageToken = '';
  for (let page = 0; page < 200 && !found; page++) {
    const response = await unary(sessions, 'listRecommendations', { timeZone: zone, pageSize: 50, pageToken });
    found = response.items.find((item) => item.session.id === created.id);
    pageToken = response.nextPageToken;
    if (!pageToken) {
      break;
    }
  }
  assert.ok(found, `session ${created.id} not in 直播推荐`);
  assert.equal(found.session.title, title);
  assert.equal(found.session.status, 'SESSION_STATUS_SCHEDULED');
  assert.equal(found.displayTime, expectedTime);
  assert.equal(found.badge, `${expectedTime} · 0`);
  assert.equal(found.viewerCount, 0);
});
