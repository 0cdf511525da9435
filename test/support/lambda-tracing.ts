/**
 * The environment in which the Lambda runtime runs a traced function — an execution environment, a
 * sampled trace id, the X-Ray daemon's UDP address — for a test that reads what the tracer sends. The
 * tracer decides whether it is on when it is built, at import time: a test file imports this module
 * first, as a bare import, then binds `XRAY_DAEMON_PORT` to receive the segments.
 */
export const XRAY_DAEMON_PORT = 20_000 + Math.floor(Math.random() * 40_000);
export const TRACE_ROOT = `1-${Math.floor(Date.now() / 1000).toString(16)}-${'0'.repeat(16)}${Math.floor(
  Math.random() * 2 ** 32,
)
  .toString(16)
  .padStart(8, '0')}`;

Object.assign(process.env, {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  LAMBDA_TASK_ROOT: '/var/task',
  AWS_LAMBDA_FUNCTION_NAME: 'workflow-task-under-test',
  _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=53995c3f42cd8ad8;Sampled=1`,
  AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${XRAY_DAEMON_PORT}`,
  AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
});
