/**
 * Whether a process still runs, by pid: how a lock, a staging directory or a training run
 * left by a dead process is told from one whose owner is at work.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // Signal 0 checks existence without signalling; EPERM: it exists but is someone else's.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
