"""Redis CPU per claim: INFO cpu (the server's own CPU seconds) and INFO commandstats (time per command)."""

from __future__ import annotations

from typing import Any

import redis


class RedisUsage:
    """A reading of the server's CPU counters and command statistics; subtract two with `per_claim`."""

    def __init__(self, client: redis.Redis) -> None:
        cpu = client.info("cpu")
        self.cpu_s = float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])
        user, system = cpu.get("used_cpu_user_main_thread"), cpu.get("used_cpu_sys_main_thread")
        self.main_thread_cpu_s = float(user) + float(system) if user is not None and system is not None else self.cpu_s
        self.commands: dict[str, tuple[int, int]] = {}
        for key, value in client.info("commandstats").items():
            name = key.removeprefix("cmdstat_")
            self.commands[name] = (int(value["calls"]), int(value["usec"]))

    @staticmethod
    def cpu_seconds(client: redis.Redis) -> float:
        """The server's CPU seconds so far (user + system)."""
        cpu = client.info("cpu")
        return float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"])

    def per_claim(self, before: RedisUsage, claims: int) -> dict[str, Any]:
        """Server CPU microseconds per claim between `before` and this reading, and the busiest commands.

        Commands run inside a script are counted both under the script (evalsha/fcall) and under their
        own name, so the per-command figures overlap; the CPU figure is the one to plan with.
        """
        if claims <= 0:
            raise ValueError("per_claim needs a positive number of claims")
        by_command: dict[str, dict[str, float]] = {}
        for name, (calls, usec) in self.commands.items():
            old_calls, old_usec = before.commands.get(name, (0, 0))
            if calls - old_calls > 0:
                by_command[name] = {
                    "calls": calls - old_calls,
                    "us_per_call": (usec - old_usec) / (calls - old_calls),
                    "us_per_claim": (usec - old_usec) / claims,
                }
        busiest = dict(sorted(by_command.items(), key=lambda item: -item[1]["us_per_claim"])[:8])
        return {
            "cpu_us_per_claim": (self.cpu_s - before.cpu_s) * 1e6 / claims,
            "main_thread_cpu_us_per_claim": (self.main_thread_cpu_s - before.main_thread_cpu_s) * 1e6 / claims,
            "commands": busiest,
        }
