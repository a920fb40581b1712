// The machine the figures were measured on.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

export interface MachineInfo {
  readonly os: string;
  readonly kernel: string;
  readonly arch: string;
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly java: string;
  readonly date: string;
  /** 1-minute load average when the run started: other work on the machine skews every figure. */
  readonly loadAverage1m: number;
}

function javaVersion(): string {
  try {
    const out = execFileSync('java', ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return out.split('\n')[0]?.trim() ?? 'unknown';
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr;
    return stderr?.split('\n')[0]?.trim() ?? 'unknown';
  }
}

function javaFromStderr(): string {
  // `java -version` writes to stderr and exits 0: read it through spawnSync semantics.
  try {
    return execFileSync('sh', ['-c', 'java -version 2>&1 | head -n1'], { encoding: 'utf8' }).trim() || javaVersion();
  } catch {
    return javaVersion();
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const release = execFileSync('sh', ['-c', '. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"'], { encoding: 'utf8' }).trim();
    if (release) osName = release;
  } catch {
    // keep os.type()
  }
  return {
    os: osName,
    kernel: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    java: javaFromStderr(),
    date: new Date().toISOString(),
    loadAverage1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
