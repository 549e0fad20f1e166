"""The Python counterpart of the TypeScript worker (agent/), for side-by-side benchmarks.

Same pipeline and defaults as agent/voice-agent.ts with the `local` providers: Silero VAD
(prewarmed), OpenAI realtime transcription with server-side endpointing (or HTTP transcription,
one request per utterance wrapped by the VAD, with STT_STREAMING=false),
OpenAI chat completions and the Cartesia WebSocket TTS, all pointed at the local providers
(harness/local-providers); VAD turn detection and interruptions, fixed endpointing 0.5-3.0 s,
preemptive generation, and the worker's load counted in calls (agent/worker/call-count-load.ts).

    python agent.py start      # production mode (no file watcher), as the benchmark runs it

Environment (same names and defaults as agent/config/schema.ts):
    LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET   required
    LOCAL_PROVIDERS_URL        http://127.0.0.1:8788 (OpenAI routes under /v1, Cartesia at the root)
    AGENT_NAME                 voice-agent (explicit dispatch only)
    AGENT_HTTP_PORT            8081: health (GET /, GET /worker); set another one beside the TS worker
    AGENT_MAX_CONCURRENT_CALLS 4: load = calls in progress / this (full at the limit)
    AGENT_NUM_IDLE_PROCESSES   framework default
    AGENT_INSTRUCTIONS, AGENT_GREETING, STT_STREAMING, STT_MODEL, STT_END_OF_UTTERANCE_SILENCE_MS, STT_LANGUAGE, LLM_MODEL, LLM_TEMPERATURE,
    TTS_MODEL, TTS_VOICE, TURN_*_MS (including TURN_VAD_MIN_SILENCE_MS), TURN_PREEMPTIVE_GENERATION,
    TURN_PREEMPTIVE_TTS, PROVIDER_* as in the README.
"""

from __future__ import annotations

import logging
import math
import os

from livekit.agents import (
    Agent,
    AgentServer,
    AgentSession,
    APIConnectOptions,
    ConversationItemAddedEvent,
    JobContext,
    JobProcess,
    WorkerOptions,
    cli,
)
from livekit.agents.voice.agent_session import SessionConnectOptions
from livekit.plugins import cartesia, openai, silero

logger = logging.getLogger("voice-agent")

# The local providers accept any key, but the plugins refuse to start without one.
LOCAL_API_KEY = "local"

DEFAULT_INSTRUCTIONS = "You are a helpful voice assistant. Answer briefly, in plain spoken sentences."
DEFAULT_GREETING = "Hello! How can I help you today?"


def _env(name: str, default: str) -> str:
    value = os.environ.get(name)
    return value if value else default


def _env_ms(name: str, default: int) -> float:
    """A `*_MS` variable, in seconds (the Python framework's unit)."""
    return int(_env(name, str(default))) / 1000


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if not value:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _local_url() -> str:
    return _env("LOCAL_PROVIDERS_URL", "http://127.0.0.1:8788").rstrip("/")


def _load_vad() -> silero.VAD:
    # As agent/voice-agent.ts: the VAD's silence kept below the endpointing delay (turn.vadMinSilenceMs).
    return silero.VAD.load(min_silence_duration=_env_ms("TURN_VAD_MIN_SILENCE_MS", 300))


def prewarm(proc: JobProcess) -> None:
    # Idle job processes load the VAD before a call arrives, so the first turn does not pay for it.
    proc.userdata["vad"] = _load_vad()


def _build_stt(local: str) -> openai.STT:
    common = {"base_url": f"{local}/v1", "api_key": LOCAL_API_KEY, "language": _env("STT_LANGUAGE", "en")}
    if not _env_bool("STT_STREAMING", True):
        # The HTTP transcription endpoint: AgentSession wraps it with the VAD (one request per utterance).
        return openai.STT(use_realtime=False, model=_env("STT_MODEL", "whisper-1"), **common)
    # The realtime transcription WebSocket with server-side endpointing, as agent/providers/build.ts.
    silence_ms = int(_env("STT_END_OF_UTTERANCE_SILENCE_MS", "350"))
    return openai.STT(
        use_realtime=True,
        model=_env("STT_MODEL", "gpt-4o-transcribe"),
        turn_detection={"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300, "silence_duration_ms": silence_ms},
        **common,
    )


def _build_session(vad: silero.VAD) -> AgentSession:
    local = _local_url()
    requests = APIConnectOptions(
        max_retry=int(_env("PROVIDER_MAX_RETRY", "2")),
        retry_interval=_env_ms("PROVIDER_RETRY_INTERVAL_MS", 200),
        timeout=_env_ms("PROVIDER_TIMEOUT_MS", 10_000),
    )
    temperature = os.environ.get("LLM_TEMPERATURE")
    tts_opts: dict = {}
    if os.environ.get("TTS_MODEL"):
        tts_opts["model"] = os.environ["TTS_MODEL"]
    if os.environ.get("TTS_VOICE"):
        tts_opts["voice"] = os.environ["TTS_VOICE"]
    return AgentSession(
        vad=vad,
        stt=_build_stt(local),
        llm=openai.LLM(
            base_url=f"{local}/v1",
            api_key=LOCAL_API_KEY,
            model=_env("LLM_MODEL", "gpt-4o-mini"),
            **({"temperature": float(temperature)} if temperature else {}),
        ),
        # The Cartesia WebSocket protocol: streaming input, word timestamps.
        tts=cartesia.TTS(base_url=local, api_key=LOCAL_API_KEY, **tts_opts),
        # Pinned to the VAD: left unset, the framework prefers LiveKit's cloud models.
        turn_handling={
            "turn_detection": "vad",
            "endpointing": {
                "mode": "fixed",
                "min_delay": _env_ms("TURN_MIN_ENDPOINTING_DELAY_MS", 500),
                "max_delay": _env_ms("TURN_MAX_ENDPOINTING_DELAY_MS", 3000),
            },
            "interruption": {
                "enabled": True,
                "mode": "vad",
                "min_duration": _env_ms("TURN_MIN_INTERRUPTION_DURATION_MS", 80),
                "min_words": int(_env("TURN_MIN_INTERRUPTION_WORDS", "0")),
            },
            "preemptive_generation": {
                "enabled": _env_bool("TURN_PREEMPTIVE_GENERATION", True),
                "preemptive_tts": _env_bool("TURN_PREEMPTIVE_TTS", True),
            },
        },
        conn_options=SessionConnectOptions(
            stt_conn_options=requests, llm_conn_options=requests, tts_conn_options=requests
        ),
    )


def _log_turn_latencies(session: AgentSession) -> None:
    """One `turn latency` log line per user turn, with the fields of agent/metrics/turn-latency-tracer.ts."""
    pending_user: dict = {}
    turns = 0

    def ms(seconds: float | None) -> int | None:
        return None if seconds is None else round(seconds * 1000)

    @session.on("conversation_item_added")
    def _on_item(ev: ConversationItemAddedEvent) -> None:
        nonlocal turns
        item = ev.item
        if getattr(item, "type", None) != "message":
            return
        if item.role == "user":
            if item.metrics.get("stopped_speaking_at") is not None:
                pending_user["msg"] = item
            return
        user = pending_user.pop("msg", None)
        if item.role != "assistant" or user is None:
            return
        turns += 1
        reply = item.metrics
        stopped = user.metrics["stopped_speaking_at"]
        first_audio = reply.get("e2e_latency")
        if first_audio is None and reply.get("started_speaking_at") is not None:
            first_audio = reply["started_speaking_at"] - stopped
        record = {
            "turn": turns,
            "userText": user.text_content or "",
            "agentText": item.text_content or "",
            "interrupted": item.interrupted,
            "userStoppedSpeakingAt": round(stopped * 1000),
            "endOfTurnMs": ms(user.metrics.get("end_of_turn_delay")),
            "transcriptMs": ms(user.metrics.get("transcription_delay")),
            "llmTtftMs": ms(reply.get("llm_node_ttft")),
            "ttsTtfbMs": ms(reply.get("tts_node_ttfb")),
            "firstAudioMs": ms(first_audio),
        }
        logger.info("turn latency", extra=record)


async def entrypoint(ctx: JobContext) -> None:
    vad = ctx.proc.userdata.get("vad") or _load_vad()
    await ctx.connect()
    session = _build_session(vad)
    _log_turn_latencies(session)

    # Greet only once somebody is there to hear it.
    await ctx.wait_for_participant()
    await session.start(
        agent=Agent(instructions=_env("AGENT_INSTRUCTIONS", DEFAULT_INSTRUCTIONS)),
        room=ctx.room,
        record=False,
    )
    session.say(_env("AGENT_GREETING", DEFAULT_GREETING))


def _worker_options() -> WorkerOptions:
    max_calls = int(_env("AGENT_MAX_CONCURRENT_CALLS", "4"))

    # Load in calls, not machine CPU: livekit-server dispatches only while 1 - load > 0, and on a
    # small shared host another process's CPU burst would otherwise make dispatches fail.
    def call_count_load(server: AgentServer) -> float:
        return min(1.0, len(server.active_jobs) / max_calls)

    opts = WorkerOptions(
        entrypoint_fnc=entrypoint,
        prewarm_fnc=prewarm,
        load_fnc=call_count_load,
        load_threshold=1.0,
        agent_name=_env("AGENT_NAME", "voice-agent"),
        host="127.0.0.1",
        port=int(_env("AGENT_HTTP_PORT", "8081")),
        drain_timeout=math.ceil(_env_ms("AGENT_DRAIN_TIMEOUT_MS", 30 * 60_000)),
    )
    if os.environ.get("AGENT_NUM_IDLE_PROCESSES"):
        opts.num_idle_processes = int(os.environ["AGENT_NUM_IDLE_PROCESSES"])
    return opts


if __name__ == "__main__":
    cli.run_app(_worker_options())
