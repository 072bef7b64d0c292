#!/usr/bin/env node
// Load test of `anymal serve` over loopback (a script, not a timed test; bounded in requests
// and time). Starts the server itself, then:
//   1. CLIENTS concurrent clients x REQUESTS requests each, every one with an image (the
//      examples/ photos in turn): errors, requests/s, p50/p99 latency, server peak RSS.
//   2. Continuous batching: total generated tokens/s of 8 concurrent streams vs 1 stream
//      (ignore_eos, fixed max_tokens, so every request generates the same amount).
// ANYMAL_THREADS=N sets the server's --threads (default: serve's, physical cores - 1; the client
// shares the cores).
// Usage: node scripts/serve_load.mjs [build/bin/anymal] [--clients 64] [--requests 20]
//        [--slots 8] [--tokens 96]; extra server flags after `--`.
import { readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
const serverArgs = sep >= 0 ? argv.slice(sep + 1) : [];
const args = sep >= 0 ? argv.slice(0, sep) : argv;
const opt = (name, def) => { const i = args.indexOf('--' + name); return i >= 0 ? Number(args[i + 1]) : def; };
const bin = resolve(args[0] && !args[0].startsWith('--') ? args[0] : 'build/bin/anymal');
process.env.ANYMAL_BIN = bin;
const { startServer } = await import('../tests/e2e/server.mjs');

const CLIENTS = opt('clients', 64), REQUESTS = opt('requests', 20), SLOTS = opt('slots', 8);
const TOKENS = opt('tokens', 96);
const examples = new URL('../examples/', import.meta.url);
const images = readdirSync(examples).filter((f) => f.endsWith('.png')).map((f) =>
  'data:image/png;base64,' + readFileSync(new URL(f, examples)).toString('base64'));
const questions = ['What is in the picture?', 'What colour is it?', 'How many objects are there?'];

const peakRss = (pid) => {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return m ? Number(m[1]) / 1024 : NaN;
};
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p * s.length))]; };

async function chat(url, body) {
  const t0 = performance.now();
  const r = await fetch(url + '/v1/chat/completions', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    signal: AbortSignal.timeout(300000),
  });
  if (!body.stream) {
    const j = await r.json();
    return { ok: r.ok, ms: performance.now() - t0, tokens: j.usage?.completion_tokens ?? 0, error: j.error?.message };
  }
  const text = await r.text();  // the whole event stream
  const usage = text.split('\n\n').filter((e) => e.includes('"usage"')).map((e) => JSON.parse(e.slice(6)).usage)[0];
  return { ok: r.ok && text.endsWith('data: [DONE]\n\n'), ms: performance.now() - t0, tokens: usage?.completion_tokens ?? 0 };
}

// Phase 1: many clients with images.
{
  const server = await startServer(['--max-clients', String(SLOTS), '--queue', String(CLIENTS * 2), ...serverArgs]);
  const lat = [];
  let errors = 0, tokens = 0, n = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async (_, c) => {
    for (let i = 0; i < REQUESTS; i++) {
      const k = c * REQUESTS + i;
      const body = {
        messages: [{ role: 'user', content: [{ type: 'text', text: questions[k % questions.length] },
          { type: 'image_url', image_url: { url: images[k % images.length] } }] }],
        temperature: 0, max_tokens: 32, stream: k % 2 === 1, stream_options: { include_usage: true },
      };
      try {
        const r = await chat(server.url, body);
        if (!r.ok) { errors++; if (errors < 4) console.error('error:', r.error); }
        lat.push(r.ms); tokens += r.tokens; n++;
      } catch (e) { errors++; if (errors < 4) console.error('error:', e.message); }
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const rss = peakRss(server.pid);
  await server.stop();
  console.log(`| clients x requests | errors | requests/s | generated tokens/s | p50 latency | p99 latency | server peak RSS |`);
  console.log(`|---|---|---|---|---|---|---|`);
  console.log(`| ${CLIENTS} x ${REQUESTS} (images, half streamed) | ${errors} | ${(n / secs).toFixed(1)} | ${(tokens / secs).toFixed(0)} | ${pct(lat, 0.5).toFixed(0)} ms | ${pct(lat, 0.99).toFixed(0)} ms | ${rss.toFixed(0)} MiB |`);
}

// Phase 2: 8 concurrent streams vs 1, same work per request.
{
  const server = await startServer(['--max-clients', String(SLOTS), ...serverArgs]);
  const run = async (streams, perStream) => {
    let tokens = 0, errors = 0;
    const t0 = performance.now();
    await Promise.all(Array.from({ length: streams }, async (_, s) => {
      for (let i = 0; i < perStream; i++) {
        const r = await chat(server.url, {
          messages: [{ role: 'user', content: 'Describe the building.' }], max_tokens: TOKENS,
          ignore_eos: true, temperature: 0.8, seed: s * 100 + i, stream: true, stream_options: { include_usage: true },
        });
        tokens += r.tokens; if (!r.ok) errors++;
      }
    }));
    return { tps: tokens / ((performance.now() - t0) / 1000), errors };
  };
  await run(1, 1);  // warm up
  // Runs of a fraction of a second on a shared machine: five rounds, 1 and 8 streams taking
  // turns, and the median of each.
  const median = (runs) => {
    const v = runs.map((r) => r.tps).sort((a, b) => a - b);
    return { tps: v[v.length >> 1], errors: runs.reduce((n, r) => n + r.errors, 0) };
  };
  const ones = [], eights = [];
  for (let round = 0; round < 5; round++) {
    ones.push(await run(1, 4));
    eights.push(await run(8, 4));
  }
  const one = median(ones), eight = median(eights);
  await server.stop();
  console.log('');
  console.log(`| streams | generated tokens/s (total) | errors |`);
  console.log(`|---|---|---|`);
  console.log(`| 1 | ${one.tps.toFixed(0)} | ${one.errors} |`);
  console.log(`| 8 | ${eight.tps.toFixed(0)} | ${eight.errors} |`);
  console.log(`\n8 streams vs 1: ${(eight.tps / one.tps).toFixed(2)}x total tokens/s (${TOKENS} tokens per request, ${SLOTS} slots; medians of 5 rounds)`);
}
