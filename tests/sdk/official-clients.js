#!/usr/bin/env node
/* cvanalyze: the services' own official client SDKs against the local
 * server (tools/), which must be faithful enough that they accept it.
 *
 *   node tests/sdk/official-clients.js build/tools/cvanalyze-local-server
 *
 * Each test starts its own server on a free port with a key, so that auth
 * is exercised, sends real JPEGs drawn by GStreamer (solid colours, and
 * text for tesseract to read) through the SDK's own calls, and checks what
 * the SDK parsed against what the server computes for that image. A test
 * fails when an SDK rejects an answer. The SDKs are pinned by
 * package.json and package-lock.json beside this file; without
 * node_modules (npm ci) the test is skipped (exit 77). Nothing printed
 * carries the key: errors are reported by name, status, code and message
 * only, with the key scrubbed. */
'use strict';

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const util = require('node:util');
const { spawn, execFileSync } = require('node:child_process');

const here = __dirname;
if (!fs.existsSync(path.join(here, 'node_modules', 'openai'))) {
  console.log('SKIP: the official SDKs are not installed: run ' +
    `scripts/install-deps.sh, or "npm ci" in ${here}`);
  process.exit(77);
}
const serverBinary = process.argv[2];
if (!serverBinary) {
  console.error('usage: official-clients.js PATH/TO/cvanalyze-local-server');
  process.exit(2);
}

/* Only loopback is spoken to, and no SDK logs a request. */
for (const v of ['http_proxy', 'https_proxy', 'HTTP_PROXY', 'HTTPS_PROXY',
  'ALL_PROXY', 'all_proxy', 'DEBUG', 'OPENAI_LOG', 'AZURE_LOG_LEVEL',
  'OPENAI_BASE_URL', 'OPENAI_API_KEY', 'AZURE_OPENAI_API_KEY',
  'AZURE_OPENAI_ENDPOINT', 'OPENAI_API_VERSION']) {
  delete process.env[v];
}

const { test, after } = require('node:test');
const assert = require('node:assert/strict');
const { default: OpenAI, AzureOpenAI } = require('openai');
const createImageAnalysisClient =
  require('@azure-rest/ai-vision-image-analysis').default;
const { isUnexpected } = require('@azure-rest/ai-vision-image-analysis');
const { AzureKeyCredential } = require('@azure/core-auth');
const { ComputerVisionClient, ComputerVisionMappers } =
  require('@azure/cognitiveservices-computervision');
const { ApiKeyCredentials, RestError, Serializer } = require('@azure/ms-rest-js');

const KEY = `sdk-test-${process.pid}-${Date.now()}`;
const WRONG_KEY = `${KEY}-wrong`;
const MODEL = 'local-vision';
const PROMPT = 'Describe this frame in a few words.';
const PROMPT_TOKENS = 7 + 85; /* its words, and 85 for the image */
const AZURE_API_VERSION = '2024-10-21';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cvanalyze-sdk-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/* A JPEG made by GStreamer: videotestsrc @pattern at @width x @height,
 * with @text drawn big, black and centred when given. */
function jpeg (name, pattern, width, height, text) {
  const file = path.join(tmp, `${name}.jpg`);
  const overlay = text === undefined ? [] : ['!', 'textoverlay',
    `text=${text}`, 'font-desc=DejaVu Sans Bold 36', 'valignment=center',
    'halignment=center', 'color=0xff000000', 'draw-shadow=false',
    'draw-outline=false'];
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=1',
    `pattern=${pattern}`, '!', `video/x-raw,width=${width},height=${height}`,
    ...overlay, '!', 'videoconvert', '!', 'jpegenc', '!', 'filesink',
    `location=${file}`]);
  return fs.readFileSync(file);
}

/* @data decoded by GStreamer's jpegdec to packed RGB: { width, height,
 * rgb } where the size is what the decoder found. */
function decodeJpeg (data) {
  const file = path.join(tmp, 'decode.jpg');
  const raw = path.join(tmp, 'decode.rgb');
  fs.writeFileSync(file, data);
  const out = execFileSync('gst-launch-1.0', ['-v', 'filesrc',
    `location=${file}`, '!', 'jpegdec', '!', 'videoconvert', '!',
    'video/x-raw,format=RGB', '!', 'filesink', `location=${raw}`],
  { encoding: 'utf8' });
  const caps = out.match(/filesink0\.GstPad:sink: caps = .*width=\(int\)(\d+), height=\(int\)(\d+)/);
  assert.ok(caps, 'jpegdec decoded no frame');
  return { width: +caps[1], height: +caps[2], rgb: fs.readFileSync(raw) };
}

/* Servers still running, ended if this process exits early. */
const servers = new Set();
process.on('exit', () => servers.forEach((proc) => proc.kill('SIGKILL')));

/* The local server on a free port with the key and @args; resolves to
 * { url, endpoint, stop } once it listens. */
async function startServer (...args) {
  const proc = spawn(serverBinary, ['--port', '0', '--key', KEY, ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.add(proc);
  proc.on('exit', () => servers.delete(proc));
  const line = await new Promise((resolve, reject) => {
    let seen = '';
    proc.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('\n')) resolve(seen.split('\n')[0]);
    });
    proc.on('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  const url = line.split(' ').pop();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  return {
    url,
    endpoint: url.slice(0, -1),
    stop: () => new Promise((resolve) => {
      proc.on('exit', resolve);
      proc.kill('SIGTERM');
    })
  };
}

/* What is safe to print of an SDK's error: its class, status, code and
 * message, the key scrubbed (an error's request, which node would print
 * whole, carries the key in its headers). */
function describe (err) {
  const status = err.status ?? err.statusCode;
  return `${err.constructor.name} ${status} ${err.code}: ${err.message}`
    .replaceAll(KEY, '<key>');
}

/* Runs @body with a server started with @args, stopped after it; an
 * SDK's error is rethrown as describe() says. */
function serverTest (name, args, body) {
  test(name, async () => {
    const server = await startServer(...args);
    try {
      await body(server);
    } catch (err) {
      if (err instanceof assert.AssertionError) throw err;
      throw new Error(describe(err));
    } finally {
      await server.stop();
    }
  });
}

/* The SDK's error that @promise rejects with. */
async function rejection (promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(!describe(err).includes(KEY));
    return err;
  }
  assert.fail('the SDK accepted what it had to reject');
}

const red = jpeg('red', 'red', 160, 120);
const blue = jpeg('blue', 'blue', 64, 64);
const exit42 = jpeg('exit42', 'white', 640, 360, 'EXIT 42');

function chatMessages (image) {
  return [{
    role: 'user',
    content: [
      { type: 'text', text: PROMPT },
      {
        type: 'image_url',
        image_url: { url: `data:image/jpeg;base64,${image.toString('base64')}` }
      }
    ]
  }];
}

function assertCaptionCompletion (completion, caption) {
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.model, MODEL);
  assert.equal(completion.choices.length, 1);
  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.equal(completion.choices[0].message.content, caption);
  assert.equal(completion.choices[0].finish_reason, 'stop');
  const words = caption.split(' ').length;
  assert.deepEqual(completion.usage, {
    prompt_tokens: PROMPT_TOKENS,
    completion_tokens: words,
    total_tokens: PROMPT_TOKENS + words
  });
}

/* ---- OpenAI's Node SDK (openai) ---- */

serverTest('openai: chat.completions.create captions a red JPEG', [],
  async ({ url }) => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}v1`, maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: MODEL, messages: chatMessages(red) }).withResponse();
    assertCaptionCompletion(data, 'a plain red image');
    assert.ok(response.headers.get('x-request-id'));
    assert.match(data.id, /^chatcmpl-/);
    assert.equal(typeof data.created, 'number');
  });

serverTest('openai: response_format json_schema gives the schema\'s JSON', [],
  async ({ url }) => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: chatMessages(blue),
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'frame',
          strict: true,
          schema: {
            type: 'object',
            properties: {
              caption: { type: 'string' },
              tags: { type: 'array', items: { type: 'string' } }
            },
            required: ['caption', 'tags'],
            additionalProperties: false
          }
        }
      }
    });
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.deepEqual(JSON.parse(completion.choices[0].message.content),
      { caption: 'a plain blue image', tags: ['blue'] });
  });

serverTest('openai: max_completion_tokens cuts the caption, finish_reason length', [],
  async ({ url }) => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}v1`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: MODEL, messages: chatMessages(red), max_completion_tokens: 2
    });
    assert.equal(completion.choices[0].message.content, 'a plain');
    assert.equal(completion.choices[0].finish_reason, 'length');
    assert.equal(completion.usage.completion_tokens, 2);
  });

serverTest('openai: a wrong key is the SDK\'s AuthenticationError, 401 invalid_api_key', [],
  async ({ url }) => {
    const client = new OpenAI({ apiKey: WRONG_KEY, baseURL: `${url}v1`, maxRetries: 0 });
    const err = await rejection(client.chat.completions.create({
      model: MODEL, messages: chatMessages(red)
    }));
    assert.ok(err instanceof OpenAI.AuthenticationError, describe(err));
    assert.equal(err.status, 401);
    assert.equal(err.code, 'invalid_api_key');
    assert.equal(err.type, 'invalid_request_error');
    assert.ok(!err.message.includes(WRONG_KEY));
  });

serverTest('openai: an unknown model is the SDK\'s NotFoundError', [],
  async ({ url }) => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}v1`, maxRetries: 0 });
    const err = await rejection(client.chat.completions.create({
      model: 'no-such-model', messages: chatMessages(red)
    }));
    assert.ok(err instanceof OpenAI.NotFoundError, describe(err));
    assert.equal(err.status, 404);
    assert.match(err.message, /no-such-model/);
  });

serverTest('openai: stream: true is refused as the SDK\'s BadRequestError, not a hang', [],
  async ({ url }) => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}v1`, maxRetries: 0 });
    const err = await rejection(client.chat.completions.create({
      model: MODEL, messages: chatMessages(red), stream: true
    }));
    assert.ok(err instanceof OpenAI.BadRequestError, describe(err));
    assert.equal(err.status, 400);
    assert.equal(err.param, 'stream');
    assert.equal(err.code, 'unsupported_value');
  });

serverTest('openai: AzureOpenAI on the classic deployment route (api-key, api-version)', [],
  async ({ endpoint }) => {
    const client = new AzureOpenAI({
      endpoint, apiKey: KEY, apiVersion: AZURE_API_VERSION, deployment: MODEL, maxRetries: 0
    });
    const completion = await client.chat.completions.create({
      model: MODEL, messages: chatMessages(red)
    });
    assertCaptionCompletion(completion, 'a plain red image');

    const wrong = new AzureOpenAI({
      endpoint, apiKey: WRONG_KEY, apiVersion: AZURE_API_VERSION, deployment: MODEL, maxRetries: 0
    });
    const err = await rejection(wrong.chat.completions.create({
      model: MODEL, messages: chatMessages(red)
    }));
    assert.ok(err instanceof OpenAI.AuthenticationError, describe(err));
    assert.equal(err.status, 401);
    assert.equal(err.code, '401');

    const missing = new AzureOpenAI({
      endpoint, apiKey: KEY, apiVersion: AZURE_API_VERSION, deployment: 'no-such-deployment', maxRetries: 0
    });
    const notFound = await rejection(missing.chat.completions.create({
      model: MODEL, messages: chatMessages(red)
    }));
    assert.ok(notFound instanceof OpenAI.NotFoundError, describe(notFound));
    assert.equal(notFound.code, 'DeploymentNotFound');
  });

serverTest('openai: OpenAI on Azure\'s /openai/v1 route, as Azure documents it', [],
  async ({ url }) => {
    const client = new OpenAI({ apiKey: KEY, baseURL: `${url}openai/v1/`, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: MODEL, messages: chatMessages(blue)
    });
    assertCaptionCompletion(completion, 'a plain blue image');

    const wrong = new OpenAI({ apiKey: WRONG_KEY, baseURL: `${url}openai/v1/`, maxRetries: 0 });
    const err = await rejection(wrong.chat.completions.create({
      model: MODEL, messages: chatMessages(blue)
    }));
    assert.ok(err instanceof OpenAI.AuthenticationError, describe(err));
    assert.equal(err.status, 401);
  });

serverTest('openai: OpenAI with Azure\'s api-key header alone on /openai/v1', [],
  async ({ url }) => {
    const client = new OpenAI({
      apiKey: KEY, baseURL: `${url}openai/v1/`, maxRetries: 0,
      defaultHeaders: { Authorization: null, 'api-key': KEY }
    });
    const completion = await client.chat.completions.create({
      model: MODEL, messages: chatMessages(red)
    });
    assertCaptionCompletion(completion, 'a plain red image');
  });

/* ---- Azure's Image Analysis 4.0 SDK (@azure-rest/ai-vision-image-analysis) ---- */

/* Asserts @value has the shape of the SDK's ImageAnalysisResultOutput
 * (types/ai-vision-image-analysis.d.ts), member by member. */
function assertImageAnalysisResult (value) {
  const isNumber = (v, what) => assert.equal(typeof v, 'number', what);
  const isString = (v, what) => assert.equal(typeof v, 'string', what);
  const box = (b, what) => ['x', 'y', 'w', 'h'].forEach((k) =>
    assert.ok(Number.isInteger(b[k]), `${what}.boundingBox.${k}`));
  const polygon = (p, what) => {
    assert.ok(Array.isArray(p) && p.length === 4, `${what}.boundingPolygon`);
    p.forEach((pt) => { isNumber(pt.x, what); isNumber(pt.y, what); });
  };
  isString(value.modelVersion, 'modelVersion');
  isNumber(value.metadata.width, 'metadata.width');
  isNumber(value.metadata.height, 'metadata.height');
  if (value.captionResult) {
    isString(value.captionResult.text, 'captionResult.text');
    isNumber(value.captionResult.confidence, 'captionResult.confidence');
  }
  for (const t of value.tagsResult?.values ?? []) {
    isString(t.name, 'tag.name');
    isNumber(t.confidence, 'tag.confidence');
  }
  for (const d of value.denseCaptionsResult?.values ?? []) {
    isString(d.text, 'denseCaption.text');
    isNumber(d.confidence, 'denseCaption.confidence');
    box(d.boundingBox, 'denseCaption');
  }
  for (const c of value.smartCropsResult?.values ?? []) {
    isNumber(c.aspectRatio, 'smartCrop.aspectRatio');
    box(c.boundingBox, 'smartCrop');
  }
  for (const block of value.readResult?.blocks ?? []) {
    for (const line of block.lines) {
      isString(line.text, 'line.text');
      polygon(line.boundingPolygon, 'line');
      for (const word of line.words) {
        isString(word.text, 'word.text');
        isNumber(word.confidence, 'word.confidence');
        polygon(word.boundingPolygon, 'word');
      }
    }
  }
}

/* The client as its README makes it; allowInsecureConnection is the Azure
 * SDKs' own switch for a plain-http endpoint such as a local emulator
 * (without it the pipeline refuses to send the key over http). No
 * retries, as with the other SDKs here: an error is the answer. */
function imageAnalysis (endpoint, key) {
  return createImageAnalysisClient(endpoint, new AzureKeyCredential(key),
    { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } });
}

function analyzeImage (client, image, features, extra = {}) {
  return client.path('/imageanalysis:analyze').post({
    body: image,
    queryParameters: { features, ...extra },
    contentType: 'application/octet-stream'
  });
}

serverTest('image analysis: caption, tags, denseCaptions, smartCrops of a red JPEG', [],
  async ({ endpoint }) => {
    const client = imageAnalysis(endpoint, KEY);
    const result = await analyzeImage(client, red,
      ['Caption', 'Tags', 'DenseCaptions', 'SmartCrops'],
      { 'smartcrops-aspect-ratios': [1.0, 0.8] });
    assert.equal(isUnexpected(result), false, `status ${result.status}`);
    assert.equal(result.status, '200');
    assertImageAnalysisResult(result.body);
    const body = result.body;
    assert.deepEqual(body.metadata, { width: 160, height: 120 });
    assert.equal(body.modelVersion, 'local-colour-analysis');
    assert.equal(body.captionResult.text, 'a plain red image');
    assert.deepEqual(body.tagsResult.values.map((t) => t.name), ['red']);
    /* the whole image, then its centre */
    assert.deepEqual(body.denseCaptionsResult.values.map((d) => d.boundingBox),
      [{ x: 0, y: 0, w: 160, h: 120 }, { x: 40, y: 30, w: 80, h: 60 }]);
    /* no edges: each ratio's largest window, centred */
    assert.deepEqual(body.smartCropsResult.values, [
      { aspectRatio: 1.0, boundingBox: { x: 20, y: 0, w: 120, h: 120 } },
      { aspectRatio: 0.8, boundingBox: { x: 32, y: 0, w: 96, h: 120 } }
    ]);
  });

serverTest('image analysis: read gives tesseract\'s words of a JPEG with text', [],
  async ({ endpoint }) => {
    const client = imageAnalysis(endpoint, KEY);
    const result = await analyzeImage(client, exit42, ['Read']);
    assert.equal(isUnexpected(result), false, `status ${result.status}`);
    assertImageAnalysisResult(result.body);
    assert.match(result.body.modelVersion, /^local-colour-analysis\+tesseract-/);
    const lines = result.body.readResult.blocks.flatMap((b) => b.lines);
    assert.deepEqual(lines.map((l) => l.text), ['EXIT 42']);
    assert.deepEqual(lines[0].words.map((w) => w.text), ['EXIT', '42']);
    for (const w of lines[0].words) assert.ok(w.confidence > 0.5 && w.confidence <= 1);
  });

serverTest('image analysis: a wrong key is Azure\'s 401 error body, as the SDK types it', [],
  async ({ endpoint }) => {
    const client = imageAnalysis(endpoint, WRONG_KEY);
    const result = await analyzeImage(client, red, ['Caption']);
    assert.equal(isUnexpected(result), true);
    assert.equal(result.status, '401');
    assert.equal(result.body.error.code, '401');
    assert.match(result.body.error.message, /^Access denied due to invalid subscription key/);
    assert.ok(!JSON.stringify(result.body).includes(WRONG_KEY));
  });

/* ---- Azure's Computer Vision v3.2 SDK (@azure/cognitiveservices-computervision) ---- */

const cvSerializer = new Serializer(ComputerVisionMappers);

/* @value checked against the SDK's own model @mapper: serializing
 * throws on a missing required member, a wrong type or an unknown enum
 * value. */
function assertComputerVisionModel (mapper, value) {
  assert.doesNotThrow(() => cvSerializer.serialize(ComputerVisionMappers[mapper], value, mapper));
}

function computerVision (endpoint, key) {
  return new ComputerVisionClient(new ApiKeyCredentials({
    inHeader: { 'Ocp-Apim-Subscription-Key': key }
  }), endpoint, { noRetryPolicy: true });
}

serverTest('computer vision: analyzeImageInStream with visualFeatures', [],
  async ({ endpoint }) => {
    const client = computerVision(endpoint, KEY);
    const analysis = await client.analyzeImageInStream(red, {
      visualFeatures: ['Color', 'Description', 'Tags']
    });
    assertComputerVisionModel('ImageAnalysis', analysis);
    assert.equal(analysis.description.captions[0].text, 'a plain red image');
    assert.deepEqual(analysis.description.tags, ['red']);
    assert.deepEqual(analysis.tags.map((t) => t.name), ['red']);
    assert.equal(analysis.color.dominantColorForeground, 'Red');
    assert.deepEqual(analysis.color.dominantColors, ['Red']);
    assert.equal(analysis.color.isBWImg, false);
    assert.deepEqual(analysis.metadata, { width: 160, height: 120, format: 'Jpeg' });
    assert.equal(analysis.modelVersion, 'local-colour-analysis');
    assert.equal(analysis._response.status, 200);
  });

serverTest('computer vision: readInStream, then getReadResult by the Operation-Location\'s ID until succeeded',
  ['--read-running=2'], async ({ endpoint }) => {
    const client = computerVision(endpoint, KEY);
    const started = await client.readInStream(exit42);
    assert.equal(started._response.status, 202);
    const location = new URL(started.operationLocation);
    assert.equal(location.origin, new URL(endpoint).origin);
    const operationId = location.pathname.split('/').pop();
    assert.equal(location.pathname, `/vision/v3.2/read/analyzeResults/${operationId}`);

    /* The server counts polls: two find it running, the third succeeds. */
    const statuses = [];
    let result;
    for (let i = 0; i < 5 && !['succeeded', 'failed'].includes(result?.status); i++) {
      result = await client.getReadResult(operationId);
      assertComputerVisionModel('ReadOperationResult', result);
      statuses.push(result.status);
    }
    assert.deepEqual(statuses, ['running', 'running', 'succeeded']);
    const page = result.analyzeResult.readResults[0];
    assert.equal(page.page, 1);
    assert.equal(page.width, 640);
    assert.equal(page.height, 360);
    assert.deepEqual(page.lines.map((l) => l.text), ['EXIT 42']);
    assert.deepEqual(page.lines[0].words.map((w) => w.text), ['EXIT', '42']);
    assert.equal(page.lines[0].boundingBox.length, 8);
  });

serverTest('computer vision: generateThumbnailInStream gives a JPEG of that size', [],
  async ({ endpoint }) => {
    const client = computerVision(endpoint, KEY);
    const response = await client.generateThumbnailInStream(48, 32, red, { smartCropping: true });
    assert.equal(response._response.status, 200);
    assert.equal(response._response.headers.get('content-type'), 'image/jpeg');
    const chunks = [];
    for await (const chunk of response.readableStreamBody) chunks.push(chunk);
    const thumbnail = decodeJpeg(Buffer.concat(chunks));
    assert.equal(thumbnail.width, 48);
    assert.equal(thumbnail.height, 32);
    /* still red: the mean of each channel */
    const mean = [0, 1, 2].map((c) => {
      let sum = 0;
      for (let i = c; i < thumbnail.rgb.length; i += 3) sum += thumbnail.rgb[i];
      return sum / (thumbnail.rgb.length / 3);
    });
    assert.ok(mean[0] > 200 && mean[1] < 50 && mean[2] < 50, `mean RGB ${mean}`);
  });

serverTest('computer vision: getAreaOfInterestInStream', [],
  async ({ endpoint }) => {
    const client = computerVision(endpoint, KEY);
    const plain = await client.getAreaOfInterestInStream(red);
    assertComputerVisionModel('AreaOfInterestResult', plain);
    /* no edges: the whole image */
    assert.deepEqual(plain.areaOfInterest, { x: 0, y: 0, w: 160, h: 120 });
    assert.deepEqual(plain.metadata, { width: 160, height: 120, format: 'Jpeg' });

    /* the text's edges: a box around "EXIT 42" (222..418, 152..187) */
    const text = await client.getAreaOfInterestInStream(exit42);
    assertComputerVisionModel('AreaOfInterestResult', text);
    const a = text.areaOfInterest;
    assert.ok(a.x <= 222 && a.y <= 152 && a.x + a.w >= 418 && a.y + a.h >= 187,
      JSON.stringify(a));
    assert.ok(a.w < 640 && a.h < 360, JSON.stringify(a));
  });

serverTest('computer vision: a wrong key is the SDK\'s RestError, 401 with Azure\'s code', [],
  async ({ endpoint }) => {
    const client = computerVision(endpoint, WRONG_KEY);
    for (const call of [
      () => client.analyzeImageInStream(red, { visualFeatures: ['Tags'] }),
      () => client.readInStream(red),
      () => client.getAreaOfInterestInStream(red)
    ]) {
      const err = await rejection(call());
      assert.ok(err instanceof RestError, describe(err));
      assert.equal(err.statusCode, 401);
      assert.equal(err.code, '401');
      assert.match(err.message, /^Access denied due to invalid subscription key/);
    }
    const err = await rejection(client.generateThumbnailInStream(48, 32, red));
    assert.ok(err instanceof RestError, describe(err));
    assert.equal(err.statusCode, 401);
  });

serverTest('the key: an SDK error carries it, what this test prints of one does not',
  ['--status=500'], async ({ endpoint }) => {
    const client = computerVision(endpoint, KEY);
    let err;
    try {
      await client.analyzeImageInStream(red, { visualFeatures: ['Tags'] });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof RestError);
    assert.equal(err.statusCode, 500);
    /* ms-rest-js keeps the request's headers, Ocp-Apim-Subscription-Key
     * among them, in the error: printed whole it would show the key */
    assert.ok(util.inspect(err, { depth: 10 }).includes(KEY));
    assert.ok(!describe(err).includes(KEY));
    assert.match(describe(err), /^RestError 500 /);
  });
