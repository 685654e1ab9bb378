// The C↔TS contract of the wasm kernels (core/engine/kernelExports.ts) against the C sources
// (wasm/*.c, wasm/kernels.h) and the built wasm/kernels.wasm.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Geom, GEOM_FIELDS, KERNEL_EXPORTS, KERNEL_EXPORT_NAMES, STRIDE_PAD } from '../../core/engine/kernelExports';
import { selectBackend } from '../../core/engine/backend';
import { kernelHeap } from '../../core/engine/wasmHeap';
import { findKernelsWasm, KernelThreads, loadKernelsModule } from '../../core/engine/wasmThreads';

const WASM_DIR = path.resolve(__dirname, '../../../wasm');

/** `const float* x` → { type: 'const float*', name: 'x' }. */
function declaration(text: string): { type: string; name: string } {
  const match = /^(.*?)\s*(\w+)$/.exec(text.trim());
  assert.ok(match, `a C declaration: ${text}`);
  return { type: match[1], name: match[2] };
}

/** Each EXPORT(name) function of wasm/*.c with its parameters. */
function cExports(): Map<string, Array<{ type: string; name: string }>> {
  const exports = new Map<string, Array<{ type: string; name: string }>>();
  for (const file of readdirSync(WASM_DIR).filter((f) => f.endsWith('.c'))) {
    const source = readFileSync(path.join(WASM_DIR, file), 'utf8');
    for (const [, exported, fn, params] of source.matchAll(/EXPORT\((\w+)\)\s*void\s+(\w+)\(([^)]*)\)/g)) {
      assert.equal(fn, exported, `${file}: EXPORT(${exported}) names its function`);
      exports.set(fn, params.split(',').map(declaration));
    }
  }
  return exports;
}

/** The Geom struct's fields in wasm/kernels.h, in order. */
function cGeomFields(): Array<{ type: string; name: string }> {
  const header = readFileSync(path.join(WASM_DIR, 'kernels.h'), 'utf8');
  const body = /typedef struct \{([^}]*)\} Geom;/.exec(header);
  assert.ok(body, 'kernels.h declares the Geom struct');
  return body[1]
    .split(';')
    .filter((line) => line.trim() !== '')
    .flatMap((line) => {
      const [first, ...rest] = line.split(',');
      const { type, name } = declaration(first);
      return [{ type, name }, ...rest.map((n) => ({ type, name: n.trim() }))];
    });
}

describe('kernel exports table', () => {
  it('lists every export of wasm/*.c with its parameters, names and order (pointers as ptr, ints as int or flag)', () => {
    const exports = cExports();
    assert.deepEqual([...exports.keys()].sort(), [...KERNEL_EXPORT_NAMES].sort());
    for (const name of KERNEL_EXPORT_NAMES) {
      const params = Object.entries(KERNEL_EXPORTS[name]);
      const c = exports.get(name) ?? [];
      assert.deepEqual(params.map(([p]) => p), c.map((p) => p.name), `${name}: parameter names`);
      for (const [i, [param, kind]] of params.entries()) {
        if (kind === 'ptr') assert.ok(c[i].type.endsWith('*'), `${name}(${param}): ${c[i].type} is a pointer`);
        else assert.equal(c[i].type, 'int', `${name}(${param})`);
      }
    }
  });

  it('matches the built module: its exports and their parameter counts, plain and relaxed SIMD', () => {
    const bytes = readFileSync(findKernelsWasm());
    const memory = new WebAssembly.Memory({ initial: 32, maximum: 65536, shared: true } as WebAssembly.MemoryDescriptor);
    for (const module of [new WebAssembly.Module(bytes), loadKernelsModule(bytes).module]) {
      assert.deepEqual(WebAssembly.Module.exports(module).map((e) => e.name).sort(), [...KERNEL_EXPORT_NAMES].sort());
      const instance = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, (...args: number[]) => void>;
      for (const name of KERNEL_EXPORT_NAMES) assert.equal(instance[name].length, Object.keys(KERNEL_EXPORTS[name]).length, `${name}: parameter count`);
    }
  });
});

describe('Geom layout', () => {
  it('is the int32 fields of kernels.h, in order, as KernelThreads.allocGeom writes them', async () => {
    await selectBackend('wasm');
    const fields = cGeomFields();
    assert.deepEqual(fields.map((f) => f.name), [...GEOM_FIELDS]);
    for (const f of fields) assert.equal(f.type, 'int', `Geom.${f.name} is an int32 (4 bytes)`);
    const geom = Object.fromEntries(GEOM_FIELDS.filter((f) => f !== 'pad_').map((f, i) => [f, 101 + i])) as Geom;
    const kt = new KernelThreads(new WebAssembly.Module(readFileSync(findKernelsWasm())), 1, kernelHeap()!);
    try {
      const offset = kt.allocGeom(geom);
      for (const [i, f] of fields.entries()) {
        const expected = f.name === 'pad_' ? 0 : geom[f.name as keyof Geom];
        assert.equal(kt.i32(offset + 4 * i, 1)[0], expected, `Geom.${f.name} at byte ${4 * i}`);
      }
    } finally {
      kt.dispose();
    }
  });
});

describe('Winograd stride padding', () => {
  it("is kernels.h's STRIDE_PAD, which the scratch sizes count", () => {
    const define = /#define STRIDE_PAD (\d+)/.exec(readFileSync(path.join(WASM_DIR, 'kernels.h'), 'utf8'));
    assert.ok(define, 'kernels.h defines STRIDE_PAD');
    assert.equal(Number(define[1]), STRIDE_PAD);
  });
});
