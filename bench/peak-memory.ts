// Preloaded into a warmer child process (`node --import tsx --import ./bench/peak-memory.ts ...`):
// samples the heap while it runs and, on exit, writes its peak heap and peak RSS to the file
// named by BENCH_MEMORY_FILE.
import { writeFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";

const file = process.env.BENCH_MEMORY_FILE;
if (file) {
    let peakHeap = 0;
    // V8's own counter (heapUsed without the RSS): process.memoryUsage() reads /proc on every call,
    // which cost the measured warmer 3 % of its CPU at this rate.
    const sample = () => (peakHeap = Math.max(peakHeap, getHeapStatistics().used_heap_size));
    setInterval(sample, 10).unref();
    process.on("exit", () => {
        sample();
        // maxRSS is in kilobytes: the process's peak resident set over its whole life.
        writeFileSync(file, JSON.stringify({ peakRssBytes: process.resourceUsage().maxRSS * 1024, peakHeapBytes: peakHeap }));
    });
}
