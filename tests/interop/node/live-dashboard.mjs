// An outside dashboard for LearnHub's live hub (/hubs/live, SignalR over JSON) with @microsoft/signalr: connects with
// a bearer token from accessTokenFactory, joins one session's feed and prints what the server pushes, one JSON object
// per line on stdout (the signalr library's own log lines are not JSON):
//   {"event":"started"}                                   connected
//   {"event":"watching","session":{…LiveSessionView}}     WatchSession answered (the feed is joined)
//   {"event":"ViewerCountChanged","change":{…}}           a push: sessionId, status, viewers, at, sequence
//   {"event":"SessionStatusChanged","session":{…}}        a push
//   {"event":"startFailed","statusCode":401,"message":…}  the server refused the connection (exit code 2)
//   {"event":"watchFailed","message":…}                   the hub refused WatchSession (exit code 3)
//
//   LEARNHUB_WEB_ADDRESS   http://host:port of the HTTP/1 endpoint, e.g. http://127.0.0.1:5081
//   LEARNHUB_TOKEN         a bearer token (instructor, reviewer or admin); unset or empty = connect without one
//   LEARNHUB_SESSION_ID    the session to watch
//   LEARNHUB_RUN_SECONDS   stops by itself after this long (default 120), so it never outlives a test run
//
// Run: npm ci && LEARNHUB_WEB_ADDRESS=… LEARNHUB_TOKEN=… LEARNHUB_SESSION_ID=… node live-dashboard.mjs
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HubConnectionBuilder, HttpTransportType, LogLevel } from '@microsoft/signalr';

const webAddress = requiredEnv('LEARNHUB_WEB_ADDRESS');
const sessionId = requiredEnv('LEARNHUB_SESSION_ID');
const token = process.env.LEARNHUB_TOKEN ?? '';
const runSeconds = Number(process.env.LEARNHUB_RUN_SECONDS ?? '120');

function requiredEnv(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`Set ${name} (see the header of ${path.basename(fileURLToPath(import.meta.url))}).`);
  }
  return value;
}

function emit(event, body = {}) {
  console.log(JSON.stringify({ event, ...body }));
}

const options = { transport: HttpTransportType.WebSockets };
if (token) {
  // Sent as the Authorization header on negotiate and as access_token on the WebSocket request.
  options.accessTokenFactory = () => token;
}
const connection = new HubConnectionBuilder()
  .withUrl(`${webAddress.replace(/\/$/, '')}/hubs/live`, options)
  .withStatefulReconnect()
  .configureLogging(LogLevel.Warning)
  .build();

connection.on('ViewerCountChanged', (change) => emit('ViewerCountChanged', { change }));
connection.on('SessionStatusChanged', (session) => emit('SessionStatusChanged', { session }));
connection.onclose((error) => {
  emit('closed', { message: error?.message ?? null });
});

const stopTimer = setTimeout(async () => {
  await connection.stop();
  process.exit(0);
}, runSeconds * 1000);

try {
  await connection.start();
} catch (error) {
  // A refused negotiate surfaces as a FailedToNegotiateWithServerError whose message carries the HTTP status.
  const message = String(error?.message ?? error);
  const statusCode = error?.statusCode ?? Number(/Status code '(\d+)'/.exec(message)?.[1] ?? NaN);
  emit('startFailed', { statusCode: Number.isNaN(statusCode) ? null : statusCode, message });
  clearTimeout(stopTimer);
  process.exit(2);
}
emit('started');

try {
  const session = await connection.invoke('WatchSession', sessionId);
  emit('watching', { session });
} catch (error) {
  emit('watchFailed', { message: String(error?.message ?? error) });
  clearTimeout(stopTimer);
  await connection.stop();
  process.exit(3);
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, async () => {
    clearTimeout(stopTimer);
    await connection.stop();
    process.exit(0);
  });
}
