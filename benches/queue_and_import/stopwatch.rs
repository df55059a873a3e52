//! Timings that say how much of the machine the hypervisor took while they ran.
//!
//! On a shared virtual machine the host runs other guests on "our" cores: that time (`steal` in
//! `/proc/stat`, `st` in `vmstat`) passes on the wall clock while nothing of ours runs. A step
//! that keeps both cores busy (the import: two database writers and the parser) loses about that
//! share of its speed; one that keeps a single core busy (`\copy`) loses much less, since the
//! other core is there to make up for it. Steal is one reason the ratio to `COPY` moves from run
//! to run (the machine's speed drifts without it too, README, Benchmarks); printed beside each
//! timing, it shows which.

use std::time::Instant;

/// A step's wall time and the share of the machine's time stolen meanwhile.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub seconds: f64,
    /// Stolen share of all cores' time, 0.0–1.0; `None` where `/proc/stat` cannot be read.
    pub steal: Option<f64>,
}

impl Timing {
    /// "12 %" or "?".
    pub fn steal_percent(&self) -> String {
        self.steal
            .map_or_else(|| "?".to_string(), |s| format!("{:.0} %", s * 100.0))
    }
}

pub struct Stopwatch {
    started: Instant,
    cpu: Option<CpuTicks>,
}

impl Stopwatch {
    pub fn start() -> Stopwatch {
        Stopwatch {
            cpu: CpuTicks::read(),
            started: Instant::now(),
        }
    }

    pub fn stop(self) -> Timing {
        let seconds = self.started.elapsed().as_secs_f64();
        let steal = match (self.cpu, CpuTicks::read()) {
            (Some(before), Some(after)) => after.stolen_share_since(&before),
            _ => None,
        };
        Timing { seconds, steal }
    }
}

/// The whole machine's CPU time so far, in clock ticks (the `cpu` line of `/proc/stat`).
#[derive(Clone, Copy)]
struct CpuTicks {
    total: u64,
    steal: u64,
}

impl CpuTicks {
    fn read() -> Option<CpuTicks> {
        CpuTicks::parse(std::fs::read_to_string("/proc/stat").ok()?.lines().next()?)
    }

    /// `cpu  user nice system idle iowait irq softirq steal guest guest_nice`: the total is the
    /// first eight (guest time is already counted in user time); steal is the eighth.
    fn parse(line: &str) -> Option<CpuTicks> {
        let mut fields = line.split_whitespace();
        if fields.next()? != "cpu" {
            return None;
        }
        let ticks: Vec<u64> = fields
            .take(8)
            .map(str::parse)
            .collect::<Result<_, _>>()
            .ok()?;
        let steal = *ticks.get(7)?;
        Some(CpuTicks {
            total: ticks.iter().sum(),
            steal,
        })
    }

    fn stolen_share_since(&self, before: &CpuTicks) -> Option<f64> {
        let total = self.total.checked_sub(before.total)?;
        let steal = self.steal.checked_sub(before.steal)?;
        (total > 0).then(|| steal as f64 / total as f64)
    }
}
