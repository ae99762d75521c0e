// A Node client of the LearnHub API over gRPC-Web (HTTP/1.1, the web port), with the code buf generates from protos/
// (`npm run build` first). Usage:
//   LEARNHUB_WEB_ADDRESS=http://127.0.0.1:5081 [LEARNHUB_TOKEN=<jwt>] node examples/node-client.mjs
// Prints one JSON object: what each call answered (a refusal's code name, message and detail types).
// tests/LearnHub.Server.Tests/Interop/NodeGrpcWebClientTests.cs runs it against a real server.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { SessionService } from "../gen/learnhub/v1/sessions_pb.js";
import { IdentityService } from "../gen/learnhub/v1/identity_pb.js";

const baseUrl = process.env.LEARNHUB_WEB_ADDRESS ?? "http://127.0.0.1:5081";
const token = process.env.LEARNHUB_TOKEN ?? "";

const anonymous = createGrpcWebTransport({ baseUrl, httpVersion: "1.1" });
const signedIn = createGrpcWebTransport({
  baseUrl,
  httpVersion: "1.1",
  interceptors: [(next) => (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  }],
});

/** Runs one call; returns { ok, ... } or { ok: false, code, reason }. */
async function attempt(call) {
  try {
    return { ok: true, ...(await call()) };
  } catch (error) {
    const e = ConnectError.from(error);
    // Detail type names only: google.rpc's messages are not among the generated code.
    const details = e.details.map((d) => ("desc" in d ? d.desc.typeName : d.type));
    return { ok: false, code: Code[e.code], message: e.rawMessage, details };
  }
}

const result = {};
const sessions = createClient(SessionService, anonymous);
const identity = createClient(IdentityService, anonymous);

result.anonymousRecommendations = await attempt(async () => {
  const answer = await sessions.listRecommendations({ timeZone: "Asia/Shanghai", pageSize: 10 });
  return { items: answer.items.map((i) => ({ id: i.session?.id, title: i.session?.title, instructor: i.session?.instructorName, badge: i.badge, reservedByMe: i.session?.reservedByMe ?? false })) };
});
result.anonymousGetMe = await attempt(async () => ({ id: (await identity.getMe({})).id }));
result.anonymousListMyReservations = await attempt(async () => ({ count: (await sessions.listMyReservations({})).reservations?.length ?? 0 }));
result.anonymousCreateSession = await attempt(async () => ({ id: (await sessions.createSession({ title: "匿名不可创建" })).id }));
if (token) {
  result.signedInGetMe = await attempt(async () => {
    const me = await createClient(IdentityService, signedIn).getMe({});
    return { id: me.id, handle: me.handle };
  });
}
console.log(JSON.stringify(result));
