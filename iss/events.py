"""Cluster events (DMA and ITA completion) and the `wfi` that sleeps on them.

PLATFORM.md section 1: `wfi` sleeps until an interrupt or a cluster event is pending. A device
posts an event when it schedules a transfer or job, with the completion time (simulated, in the
issuing hart's time base). Every hart gets it:

- a hart asleep in `wfi` is woken at that time (advance_to), as for the cluster interrupt;
- any other hart latches it (like an event unit's buffer). Its next `wfi` then does not sleep
  if a latched event lies in its past (the event is consumed), else it stalls until the
  earliest latched event in its future (consumed too), else it sleeps until one is posted.

Latching means a hart never misses an event that happened between its last status check and
its `wfi`; a `wfi` can return early (spuriously), so a waiting loop re-checks the status, as
every driver does (`while (busy) wfi;`). Same ELF, same configuration, same wake-ups.
"""

from bisect import bisect_right, insort

from .hart import HartState

MAX_LATCHED = 1024  # future events kept per hart (beyond this the earliest become a spurious wake)


def local_time(hart, pc: int) -> int:
    """Local time (cycles) of `hart` at the instruction at `pc`, from inside a device callback.

    The fast engine counts a translated block's instructions at its entry, so `hart.cycles`
    is exact only between blocks; retired_before(pc) is exact inside one. The detailed engine
    syncs its counters before a device sees the hart."""
    if getattr(hart, "engine", "") == "fast":
        return hart.retired_before(pc) + hart.stall_cycles
    return hart.cycles


class ClusterEvents:
    def __init__(self, cluster):
        self.cluster = cluster
        self.past = [False] * len(cluster.harts)  # a latched event at or before the hart's time
        self.future: list[list[int]] = [[] for _ in cluster.harts]  # sorted event times after it

    def post(self, time: int, poster=None, poster_now: int = 0) -> None:
        """An event (a completion) at simulated time `time`, posted by `poster` (a hart inside a
        callback, whose exact local time is `poster_now`) or by no hart."""
        for h in self.cluster.harts:
            if h.state is HartState.WFI:
                h.advance_to(time)
                h.state = HartState.RUNNING
            elif h.state is HartState.EXITED:
                continue
            else:
                now = poster_now if h is poster else h.cycles
                fut = self.future[h.hart_id]
                # events latched earlier that lie in the hart's past by now: one "past" flag
                # stands for them all (a hart that polls instead of sleeping never consumes them)
                passed = bisect_right(fut, now)
                if passed:
                    del fut[:passed]
                    self.past[h.hart_id] = True
                if time <= now:
                    self.past[h.hart_id] = True
                    continue
                insort(fut, time)
                if len(fut) > MAX_LATCHED:
                    # keep the latest wake-ups (the ones a driver is waiting for); the earliest
                    # becomes a spurious wake, which every waiting loop tolerates
                    fut.pop(0)
                    self.past[h.hart_id] = True

    def wfi(self, hart, now: int) -> bool:
        """`hart` executes wfi and is at local time `now` right after it. Returns True if it must
        sleep (nothing latched); otherwise it has stalled until its event, if in its future."""
        i = hart.hart_id
        fut = self.future[i]
        k = 0
        while k < len(fut) and fut[k] <= now:
            k += 1
        if k:
            del fut[:k]
            self.past[i] = True
        if self.past[i]:
            self.past[i] = False
            return False
        if fut:
            hart.stall_cycles += fut.pop(0) - now
            return False
        return True
