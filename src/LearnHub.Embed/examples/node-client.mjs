// A Node client of the LearnHub API over gRPC-Web (HTTP/1.1, the web port), with the code buf generates from protos/
// (`npm run build` first). Usage:
//   LEARNHUB_WEB_ADDRESS=http://127.0.0.1:5081 [LEARNHUB_TOKEN=<jwt>] node examples/node-client.mjs
// Prints one JSON object: what each call answered (the code name of a refusal and its ErrorInfo reason).
// tests/LearnHub.Server.Tests/Interop/NodeGrpcWebClientTests.cs runs it against a real server.
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "@bufbuild/protobuf/wkt";
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
    const reason = e.findDetails(ErrorInfoSchema)[0]?.reason ?? "";
    return { ok: false, code: Code[e.code], reason, message: e.rawMessage };
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
