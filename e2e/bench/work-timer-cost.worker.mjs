// The Durable Objects bench/work-timer-cost.mjs drives: a coordinator hands `tasks` tasks to
// `workers` workers, each task's work lasting 10 ms, the next task going to a worker as soon as it
// reports. Two ways to wait out the work, each with the same writes (a put when the task starts,
// one when it ends, one in the coordinator per assignment and per report):
//   "rpc":   the worker's process call sleeps (setTimeout) and reports before it returns, as the
//            JavaScript peer does;
//   "alarm": the worker sets an alarm and returns; the alarm's handler reports (and deletes the
//            alarm), as a duract durable timer does.
import { DurableObject } from "cloudflare:workers";

const WORK_MS = 10;

export class Coordinator extends DurableObject {
  start(mode, workers, tasks) {
    this.mode = mode;
    this.queue = Array.from({ length: tasks }, (_, i) => `t${i}`);
    this.left = tasks;
    this.started = Date.now();
    this.finished = new Promise((resolve) => (this.finish = resolve));
    for (let w = 0; w < workers; w++) this.assign(`w${w}`);
  }
  assign(worker) {
    const task = this.queue.shift();
    if (task === undefined) return;
    this.ctx.storage.put(`active/${task}`, worker);
    const stub = this.env.WORKER.get(this.env.WORKER.idFromName(`${this.mode}-${this.ctx.id}-${worker}`));
    this.ctx.waitUntil(stub.process(this.mode, worker, task, this.ctx.id.toString()));
  }
  complete(worker, task) {
    this.ctx.storage.delete(`active/${task}`);
    if (--this.left === 0) this.finish(Date.now() - this.started);
    this.assign(worker);
  }
  drained() {
    return this.finished;
  }
}

export class Worker extends DurableObject {
  async process(mode, worker, task, coordinator) {
    Object.assign(this, { worker, task, coordinator });
    this.ctx.storage.put("state", { task });
    if (mode === "alarm") {
      this.ctx.storage.setAlarm(Date.now() + WORK_MS);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, WORK_MS));
    this.ctx.storage.put("state", { task: null });
    await this.report();
  }
  alarm() {
    this.ctx.storage.put("state", { task: null });
    this.ctx.storage.deleteAlarm();
    this.ctx.waitUntil(this.report());
  }
  report() {
    const coordinator = this.env.COORDINATOR.get(this.env.COORDINATOR.idFromString(this.coordinator));
    return coordinator.complete(this.worker, this.task);
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const [mode, workers, tasks] = ["mode", "workers", "tasks"].map((k) => url.searchParams.get(k));
    const coordinator = env.COORDINATOR.get(env.COORDINATOR.idFromName(url.searchParams.get("tag")));
    await coordinator.start(mode, Number(workers), Number(tasks));
    const ms = await coordinator.drained();
    return Response.json({ tasksPerSecond: (Number(tasks) * 1000) / ms });
  },
};
