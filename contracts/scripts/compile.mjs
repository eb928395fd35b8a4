// Compile contracts/src/**/*.sol (and the EAS contracts from npm) with pinned solcjs through
// standard JSON, writing contracts/build/<Name>.json: ABI, bytecode, compiler version and the
// sha256 of every source the contract was built from, so a test can tell a stale artifact.
//
// Usage: node scripts/compile.mjs            (from contracts/)
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const BUILD = join(ROOT, "build");
const NODE_MODULES = join(ROOT, "node_modules");

// EAS pins `pragma solidity 0.8.29` exactly, so it is built by its own pinned compiler.
const UNITS = [
  {
    compiler: "solc",
    sources: listSolidity(join(ROOT, "src")).map((p) => relative(ROOT, p)),
    // Tuned for cheap calls over small code: purchases run far more often than deploys.
    runs: 1000,
  },
  {
    compiler: "solc-0.8.29",
    sources: [
      "@ethereum-attestation-service/eas-contracts/contracts/SchemaRegistry.sol",
      "@ethereum-attestation-service/eas-contracts/contracts/EAS.sol",
    ],
    // Only these contracts become artifacts from this unit (not every EAS helper).
    only: ["SchemaRegistry", "EAS"],
  },
];

function listSolidity(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listSolidity(join(dir, e.name)) : [join(dir, e.name)]))
    .filter((p) => p.endsWith(".sol"))
    .sort();
}

function resolveSource(path) {
  for (const base of [ROOT, NODE_MODULES]) {
    const full = join(base, path);
    if (existsSync(full)) return full;
  }
  return null;
}

function readSource(path) {
  const full = resolveSource(path);
  return full ? { contents: readFileSync(full, "utf8") } : { error: `not found: ${path}` };
}

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

function compileUnit(unit) {
  const solc = require(unit.compiler);
  const input = {
    language: "Solidity",
    sources: Object.fromEntries(unit.sources.map((p) => [p, { content: readSource(p).contents }])),
    settings: {
      optimizer: { enabled: true, runs: unit.runs ?? 200 },
      viaIR: unit.compiler === "solc",
      outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: readSource }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  for (const e of output.errors || []) {
    if (e.severity === "error" || !e.sourceLocation?.file?.startsWith("@")) {
      console.error(e.formattedMessage);
    }
  }
  if (errors.length) process.exit(1);
  return { solc, input, output };
}

function writeArtifacts({ solc, input, output }, unit) {
  // Every source in the compile unit is hashed: a change in any import makes artifacts stale.
  const used = Object.keys(output.sources).sort();
  const sourceHashes = Object.fromEntries(
    used.map((p) => [p, sha256(readFileSync(resolveSource(p), "utf8"))]),
  );
  const ownSources = new Set(unit.sources);
  let written = 0;
  for (const [file, contracts] of Object.entries(output.contracts)) {
    if (!ownSources.has(file)) continue;
    for (const [name, c] of Object.entries(contracts)) {
      if (unit.only && !unit.only.includes(name)) continue;
      if (!c.evm.bytecode.object) continue; // interfaces and abstract contracts
      const artifact = {
        contractName: name,
        sourceName: file,
        compiler: {
          name: unit.compiler,
          version: solc.version(),
          optimizer: input.settings.optimizer,
          viaIR: input.settings.viaIR,
        },
        sourceHash: sha256(JSON.stringify(sourceHashes)),
        sources: sourceHashes,
        abi: c.abi,
        bytecode: "0x" + c.evm.bytecode.object,
        deployedBytecode: "0x" + c.evm.deployedBytecode.object,
      };
      writeFileSync(join(BUILD, `${name}.json`), JSON.stringify(artifact, null, 1) + "\n");
      written += 1;
    }
  }
  return written;
}

mkdirSync(BUILD, { recursive: true });
for (const unit of UNITS) {
  if (!unit.sources.length) continue;
  const started = Date.now();
  const n = writeArtifacts(compileUnit(unit), unit);
  console.log(`${unit.compiler}: ${n} artifacts from ${unit.sources.length} sources in ${Date.now() - started} ms`);
}
