// Container health check (used by the Dockerfile's HEALTHCHECK): GET /health/live on this
// container's service. The slim Node image has no curl, so this uses Node's built-in fetch.
//
// The port is the one the service listens on: PORT if set, else any <SERVICE>_PORT setting, else
// the services' default ports (intake 3001, dispatch 3002, sms-survey 3003, kpi 3004). Only one
// service runs per container, so the first port that answers 200 is the service's own.
const DEFAULT_PORTS = ['3001', '3002', '3003', '3004'];
const SERVICE_PORT_VARS = ['INTAKE_PORT', 'DISPATCH_PORT', 'SMS_SURVEY_PORT', 'KPI_PORT'];

const ports = [
  ...new Set(
    process.env.PORT
      ? [process.env.PORT]
      : [...SERVICE_PORT_VARS.map((name) => process.env[name]).filter(Boolean), ...DEFAULT_PORTS],
  ),
];

async function live(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(3000) });
    return res.status === 200;
  } catch {
    return false;
  }
}

for (const port of ports) {
  if (await live(port)) process.exit(0);
}
console.error(`health check failed: no 200 from http://127.0.0.1:{${ports.join(',')}}/health/live`);
process.exit(1);
