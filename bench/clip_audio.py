"""A sine tone muxed into a synthetic clip, so tests and the video benchmark can check that audio survives."""
from __future__ import annotations

import av
import numpy as np


def mux_sine_tone(container, stream, seconds: float, freq: float = 440.0, sample_rate: int = 16000) -> None:
    """Encode `seconds` of a quiet sine tone into the audio `stream` of `container` (opened for writing) and flush.
    Codecs differ in the sample format and frame size they take (AAC: float planar, 1024; PCM/MP3 may want s16)."""
    tone = (0.2 * np.sin(2 * np.pi * freq * np.arange(int(sample_rate * seconds)) / sample_rate)).astype(np.float32)
    fmt = stream.codec_context.format.name if stream.codec_context.format else "fltp"
    step = stream.codec_context.frame_size or 1024
    for k in range(0, len(tone), step):
        chunk = tone[None, k:k + step]
        if fmt == "s16":
            frame = av.AudioFrame.from_ndarray((chunk * 32767).astype(np.int16), format="s16", layout="mono")
        else:
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
        frame.sample_rate, frame.pts = sample_rate, k
        for p in stream.encode(frame):
            container.mux(p)
    for p in stream.encode():
        container.mux(p)
