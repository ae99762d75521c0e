// A rate-limited call as grpc-js shows it: the status details must read as the server's message, character for
// character (grpc-message is percent-encoded only where the gRPC spec says: bytes outside 0x20–0x7E, and '%').
//
//   LEARNHUB_GRPC_ADDRESS  host:port of the gRPC (HTTP/2) endpoint
//   LEARNHUB_TOKEN         a bearer token of any user
//
// Run: npm ci && LEARNHUB_GRPC_ADDRESS=… LEARNHUB_TOKEN=… node --test rate-limit-check.mjs
// Not named *.test.mjs on purpose: it spends the user's read bucket, so a plain `node --test` (the other checks, with
// the same token) does not run it alongside them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const protosRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../protos');
const address = process.env.LEARNHUB_GRPC_ADDRESS;
const token = process.env.LEARNHUB_TOKEN;
if (!address || !token) {
  throw new Error('Set LEARNHUB_GRPC_ADDRESS and LEARNHUB_TOKEN.');
}
// No accept-language: the refusal is in zh-CN (docs/api.md, Errors: the caller's language).
const expectedMessage = '请求过于频繁，请稍后再试。';

const definition = protoLoader.loadSync(['learnhub/v1/identity.proto'], { includeDirs: [protosRoot], defaults: true });
const { IdentityService } = grpc.loadPackageDefinition(definition).learnhub.v1;
let identity;

before(() => {
  identity = new IdentityService(address, grpc.credentials.createInsecure());
});

after(() => identity?.close());

function getMe() {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return new Promise((resolve, reject) => {
    identity.getMe({}, metadata, { deadline: new Date(Date.now() + 10_000) }, (error, response) => (error ? reject(error) : resolve(response)));
  });
}

test('a rate-limited call reads the exact message in its details', async () => {
  // Reads take one token each from the caller's bucket; calls made back to back run out long before this many.
  let refused;
  for (let i = 0; i < 2_000 && !refused; i++) {
    try {
      await getMe();
    } catch (error) {
      refused = error;
    }
  }
  assert.ok(refused, 'no call was rate limited');
  assert.equal(refused.code, grpc.status.RESOURCE_EXHAUSTED, refused.details);
  assert.equal(refused.details, expectedMessage);
});
