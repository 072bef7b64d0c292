// Starts `anymal serve` on a free loopback port for an end-to-end test and stops it after.
// The binary comes from ANYMAL_BIN (tests/e2e/run.sh sets it); extra args go to `serve`.
import { spawn } from 'node:child_process';

export async function startServer(extraArgs = []) {
  const bin = process.env.ANYMAL_BIN;
  if (!bin) throw new Error('ANYMAL_BIN is not set: run through tests/e2e/run.sh');
  // ANYMAL_THREADS=N: the server's --threads; unset, its default (one core left to HTTP).
  const threads = process.env.ANYMAL_THREADS ? ['--threads', process.env.ANYMAL_THREADS] : [];
  const proc = spawn(bin, [...threads, 'serve', '--port', '0', ...extraArgs], {
    stdio: ['ignore', 'inherit', 'pipe'],
  });
  let log = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start:\n' + log)), 30000);
    proc.stderr.on('data', (d) => {
      log += d;
      const m = log.match(/anymal serve: (http:\/\/[\d.]+:\d+)\//);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}:\n${log}`)); });
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
  proc.removeAllListeners('exit');
  return {
    url,
    pid: proc.pid,
    stop: () => new Promise((resolve) => { proc.on('exit', resolve); proc.kill('SIGTERM'); }),
  };
}
