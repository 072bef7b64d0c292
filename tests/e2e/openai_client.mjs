// The official `openai` npm client against `anymal serve` (the bundled demo model): text, an
// image as a data URI, a sound as input_audio, streaming with usage, model listing, and the
// errors the client maps to its own exception types (400, 401).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { startServer } from './server.mjs';

const examples = new URL('../../examples/', import.meta.url);
const image = (name) => 'data:image/png;base64,' + readFileSync(new URL(name, examples)).toString('base64');
const ask = (question, file) => [{
  role: 'user',
  content: [{ type: 'text', text: question }, { type: 'image_url', image_url: { url: image(file) } }],
}];

let server, keyed, client;
before(async () => {
  server = await startServer();
  keyed = await startServer(['--api-key', 'e2e-secret']);
  client = new OpenAI({ baseURL: server.url + '/v1', apiKey: 'unused', maxRetries: 0 });
});
after(async () => { await server.stop(); await keyed.stop(); });

test('lists the model', async () => {
  const models = await client.models.list();
  assert.equal(models.data[0].id, 'anymal');
});

test('answers a text question', async () => {
  const r = await client.chat.completions.create({
    model: 'anymal', messages: [{ role: 'user', content: 'What can I cook with this?' }], max_tokens: 16, temperature: 0,
  });
  assert.equal(r.object, 'chat.completion');
  assert.equal(typeof r.choices[0].message.content, 'string');
  assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
  assert.ok(r.usage.prompt_tokens > 0);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
});

test('names the butterfly in an image sent as a data URI', async () => {
  const r = await client.chat.completions.create({
    model: 'anymal', messages: ask('What butterfly is this?', 'butterfly.png'), temperature: 0,
  });
  assert.equal(r.choices[0].message.content, 'cabbage white');
  assert.ok(r.usage.prompt_tokens > 64, 'the image positions count as prompt tokens');
});

test('streams the answer with usage at the end', async () => {
  const stream = await client.chat.completions.create({
    model: 'anymal', messages: ask('What does the sign say?', 'sign.png'), temperature: 0,
    stream: true, stream_options: { include_usage: true },
  });
  let text = '', chunks = 0, usage = null, finish = null;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (choice?.delta?.content) text += choice.delta.content;
    if (choice?.finish_reason) finish = choice.finish_reason;
  }
  assert.ok(chunks >= 3);
  assert.ok(text.length > 0);
  assert.equal(finish, 'stop');
  assert.ok(usage && usage.completion_tokens > 0);
  // The same question unstreamed gives the same answer.
  const r = await client.chat.completions.create({
    model: 'anymal', messages: ask('What does the sign say?', 'sign.png'), temperature: 0,
  });
  assert.equal(r.choices[0].message.content, text);
});

test('hears a sound sent as an input_audio part (the OpenAI schema)', async () => {
  const wav = readFileSync(new URL('doorbell.wav', examples)).toString('base64');
  const r = await client.chat.completions.create({
    model: 'anymal', temperature: 0,
    messages: [{ role: 'user', content: [
      { type: 'input_audio', input_audio: { data: wav, format: 'wav' } },
      { type: 'text', text: "What's that sound?" }] }],
  });
  assert.equal(r.choices[0].message.content, 'a doorbell');
});

test('bad requests become the client\'s BadRequestError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'anymal', messages: [{ role: 'wizard', content: 'hi' }] }),
    (e) => e instanceof OpenAI.BadRequestError && e.status === 400 && /unknown role/.test(e.message));
  await assert.rejects(
    client.chat.completions.create({
      model: 'anymal',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:text/plain;base64,aGk=' } }] }],
    }),
    (e) => e instanceof OpenAI.BadRequestError && /not an image/.test(e.message));
});

test('a wrong API key is an AuthenticationError; the right one works', async () => {
  const wrong = new OpenAI({ baseURL: keyed.url + '/v1', apiKey: 'nope', maxRetries: 0 });
  await assert.rejects(wrong.models.list(), (e) => e instanceof OpenAI.AuthenticationError && e.status === 401);
  const right = new OpenAI({ baseURL: keyed.url + '/v1', apiKey: 'e2e-secret', maxRetries: 0 });
  const r = await right.chat.completions.create({
    model: 'anymal', messages: ask('What butterfly is this?', 'butterfly.png'), temperature: 0,
  });
  assert.equal(r.choices[0].message.content, 'cabbage white');
});
