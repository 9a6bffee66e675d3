// STAND-IN for `k6/timers`, tests only: see registry.ts. k6 timer ids are numbers.
const handles = new Map<number, NodeJS.Timeout>();
let nextId = 1;

function keep(timer: NodeJS.Timeout): number {
  const id = nextId++;
  handles.set(id, timer);
  return id;
}

export function setTimeout(fn: () => void, ms: number): number {
  const id = nextId;
  return keep(
    globalThis.setTimeout(() => {
      handles.delete(id);
      fn();
    }, ms),
  );
}

export function setInterval(fn: () => void, ms: number): number {
  return keep(globalThis.setInterval(fn, ms));
}

export function clearTimeout(id: number): void {
  globalThis.clearTimeout(handles.get(id));
  handles.delete(id);
}

export function clearInterval(id: number): void {
  globalThis.clearInterval(handles.get(id));
  handles.delete(id);
}
