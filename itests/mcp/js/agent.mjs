// An agent as the TypeScript MCP SDK would run it against Briefcase, driven by the Java test
// TypeScriptSdkIT. Usage:
//   node agent.mjs http  <mcp-url> <note-text> [bearer-token-file]
//   node agent.mjs stdio <path/to/bin/briefcase> <data-dir> <note-text>
// Phase "first": list tools, echo {text:"hi"}, note_add {text}; prints one JSON line.
// Then it waits for one line on stdin, in the same MCP session:
//   "retry" -> calls note_add with the same arguments twice and prints one JSON line,
//   anything else or end of input -> closes.
// Exit 0 when the protocol worked (the Java side asserts the content), 1 on a client error.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';

const [mode, ...rest] = process.argv.slice(2);

function transportFor() {
  if (mode === 'http') {
    const [url, , tokenFile] = rest;
    const headers = {};
    if (tokenFile) {
      headers.Authorization = `Bearer ${readFileSync(tokenFile, 'utf8').trim()}`;
    }
    return new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } });
  }
  if (mode === 'stdio') {
    const [bin, dataDir] = rest;
    const env = { ...getDefaultEnvironment(), BRIEFCASE_DATA_DIR: dataDir };
    if (process.env.JAVA_HOME) {
      env.JAVA_HOME = process.env.JAVA_HOME;
    }
    // The bridge logs to stderr; keep it on ours so the Java side can show it on failure.
    return new StdioClientTransport({ command: 'sh', args: [bin, 'mcp'], env, stderr: 'inherit' });
  }
  throw new Error(`unknown mode ${mode}: expected http or stdio`);
}

const noteText = mode === 'http' ? rest[1] : rest[2];

/** The parts of a tools/call result the Java side asserts. */
function summary(result) {
  const text = (result.content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
  return {
    isError: result.isError === true,
    text,
    structuredContent: result.structuredContent ?? null,
    meta: result._meta ?? null,
    approvalId: result._meta?.approval?.id ?? null,
  };
}

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

/** The first line on stdin, or null at end of input. */
function oneLine() {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin });
    let done = false;
    rl.once('line', (line) => {
      done = true;
      rl.close();
      resolve(line.trim());
    });
    rl.once('close', () => {
      if (!done) resolve(null);
    });
  });
}

const client = new Client({ name: 'briefcase-itest-ts-agent', version: '1.0.0' });
const transport = transportFor();
try {
  await client.connect(transport);
  const tools = await client.listTools();
  const echo = await client.callTool({ name: 'echo', arguments: { text: 'hi' } });
  const note = await client.callTool({ name: 'note_add', arguments: { text: noteText } });
  emit({
    phase: 'first',
    transport: mode,
    sessionId: transport.sessionId ?? null,
    protocolVersion: transport.protocolVersion ?? null,
    serverInfo: client.getServerVersion() ?? null,
    capabilities: client.getServerCapabilities() ?? null,
    tools: tools.tools.map((t) => ({ name: t.name, title: t.title ?? null, hasSchema: !!t.inputSchema })),
    echo: summary(echo),
    note: summary(note),
  });
  const command = await oneLine();
  if (command === 'retry') {
    const first = await client.callTool({ name: 'note_add', arguments: { text: noteText } });
    const second = await client.callTool({ name: 'note_add', arguments: { text: noteText } });
    emit({ phase: 'retry', first: summary(first), second: summary(second) });
  }
  await client.close();
  process.exit(0);
} catch (e) {
  emit({ phase: 'error', message: String(e?.message ?? e), code: e?.code ?? null });
  try {
    await client.close();
  } catch {
    // already closed
  }
  process.exit(1);
}
