"""Injected trouble: latency, flood waits, one-shot errors, dropped connections, slow bytes.

Every rule names a method by Telegram's name ("messages.getHistory") or "*" for any
method; a rule for the method itself wins over "*". Settable from tests
(`server.faults.latency("messages.getHistory", 0.2)`) and from the control API.

The call that opens a connection (the one wrapped in initConnection) is exempt: answering
it with an error or letting it time out makes the client reconnect in a hot loop.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

from .rpc import RpcError

ANY = "*"


@dataclass
class Latency:
    seconds: float
    jitter: float = 0.0

    def draw(self) -> float:
        return self.seconds + (random.uniform(0, self.jitter) if self.jitter else 0.0)


@dataclass
class FloodPolicy:
    """A token bucket per account: `burst` calls at once, then one every `refill_seconds`."""

    burst: int
    refill_seconds: float
    _buckets: dict[Any, tuple[float, float]] = field(default_factory=dict, repr=False)

    def take(self, account: Any, now: float) -> int:
        """Take a token; return 0, or the FLOOD_WAIT seconds until one is available."""
        tokens, last = self._buckets.get(account, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - last) / self.refill_seconds)
        if tokens >= 1.0:
            self._buckets[account] = (tokens - 1.0, now)
            return 0
        self._buckets[account] = (tokens, now)
        return max(1, math.ceil((1.0 - tokens) * self.refill_seconds))


@dataclass
class InjectedError:
    code: int
    message: str
    times: int = 1


@dataclass
class DropRule:
    """Close the connection carrying the `after`-th matching request from now on.

    With `mid_response` the request is answered, but the connection closes after half of
    the answer's bytes; otherwise it closes as soon as the request arrived. Either way the
    answer stays queued in the MTProto session and reaches the client when it reconnects,
    as Telegram re-sends what a dead connection did not deliver.
    """

    method: str
    after: int
    mid_response: bool = False


class Faults:
    def __init__(self) -> None:
        self._latency: dict[str, Latency] = {}
        self._flood: dict[str, FloodPolicy] = {}
        self._errors: dict[str, list[InjectedError]] = {}
        self._drops: list[DropRule] = []
        self._byte_rate: dict[str, float] = {}

    # -- setting -------------------------------------------------------------------------

    def latency(self, method: str, seconds: float, jitter: float = 0.0) -> None:
        """Delay every answer of `method` by `seconds` (+ up to `jitter`); 0 removes it."""
        if seconds <= 0 and jitter <= 0:
            self._latency.pop(method, None)
        else:
            self._latency[method] = Latency(seconds, jitter)

    def flood(self, method: str, *, burst: int = 1, refill_seconds: float) -> None:
        """Answer FLOOD_WAIT_X once an account's bucket for `method` is empty."""
        self._flood[method] = FloodPolicy(burst, refill_seconds)

    def no_flood(self, method: str = ANY) -> None:
        self._flood.pop(method, None)

    def fail(
        self, method: str, code: int = 500, message: str = "RPC_CALL_FAIL", times: int = 1
    ) -> None:
        """Answer the next `times` calls of `method` with rpc_error(code, message).

        Prefer messages pyrogram knows (its errors/exceptions tables): for an unknown one it
        appends a line to ./unknown_errors.txt."""
        self._errors.setdefault(method, []).append(InjectedError(code, message, times))

    def drop_connection(
        self, *, after: int = 1, method: str = ANY, mid_response: bool = False
    ) -> None:
        """Close the connection of the `after`-th next request of `method` (see DropRule)."""
        self._drops.append(DropRule(method, after, mid_response))

    def byte_rate(self, method: str, bytes_per_second: float | None) -> None:
        """Write answers of `method` at this rate (e.g. slow upload.getFile parts)."""
        if bytes_per_second:
            self._byte_rate[method] = bytes_per_second
        else:
            self._byte_rate.pop(method, None)

    def clear(self) -> None:
        """Remove every fault."""
        self.__init__()

    def describe(self) -> dict[str, Any]:
        """The active faults as JSON-ready data (for the control API)."""
        return {
            "latency": {m: vars(rule) for m, rule in self._latency.items()},
            "flood": {
                m: {"burst": p.burst, "refill_seconds": p.refill_seconds}
                for m, p in self._flood.items()
            },
            "errors": {m: [vars(e) for e in errs] for m, errs in self._errors.items() if errs},
            "drops": [vars(rule) for rule in self._drops],
            "byte_rate": dict(self._byte_rate),
        }

    # -- applying (called by the wire) -------------------------------------------------------

    def _rule(self, rules: dict[str, Any], method: str) -> Any:
        return rules.get(method) or rules.get(ANY)

    def on_request(self, method: str) -> DropRule | None:
        """Count a request against the drop rules; the rule that fires, if any."""
        for rule in self._drops:
            if rule.method in (method, ANY):
                rule.after -= 1
                if rule.after <= 0:
                    self._drops.remove(rule)
                    return rule
        return None

    async def before_call(self, method: str, account: Any) -> None:
        """Sleep for the latency, then raise an injected error or a flood wait, if any."""
        latency = self._rule(self._latency, method)
        if latency is not None:
            await asyncio.sleep(latency.draw())
        for key in (method, ANY):
            queue = self._errors.get(key)
            if queue:
                error = queue[0]
                error.times -= 1
                if error.times <= 0:
                    queue.pop(0)
                raise RpcError(error.code, error.message)
        policy = self._rule(self._flood, method)
        if policy is not None:
            wait = policy.take((method, account), time.monotonic())
            if wait:
                raise RpcError(420, f"FLOOD_WAIT_{wait}")

    def answer_byte_rate(self, method: str) -> float | None:
        return self._rule(self._byte_rate, method)
