"use client";
// The microphone for voice mode (kept in this browser), with a live level meter to check it works.
import { useEffect, useRef, useState } from "react";
import styles from "./settings.module.css";

export const MIC_STORAGE_KEY = "soma.microphone";

export function MicrophonePicker() {
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [chosen, setChosen] = useState<string>("");
  const [level, setLevel] = useState(0);
  const [listening, setListening] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stop = useRef<(() => void) | null>(null);

  const refresh = async () => {
    if (!navigator.mediaDevices?.enumerateDevices) return setError("This browser cannot list microphones.");
    const all = await navigator.mediaDevices.enumerateDevices();
    setDevices(all.filter((d) => d.kind === "audioinput"));
  };
  useEffect(() => {
    setChosen(localStorage.getItem(MIC_STORAGE_KEY) ?? "");
    void refresh();
    return () => stop.current?.();
  }, []);

  const listen = async (deviceId: string) => {
    stop.current?.();
    setError(null);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: deviceId ? { deviceId: { exact: deviceId } } : true,
      });
      await refresh(); // labels appear once permission is given
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 1024;
      ctx.createMediaStreamSource(stream).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      let frame = 0;
      const tick = () => {
        analyser.getFloatTimeDomainData(buf);
        let sum = 0;
        for (const v of buf) sum += v * v;
        setLevel(Math.min(1, Math.sqrt(sum / buf.length) * 4));
        frame = requestAnimationFrame(tick);
      };
      tick();
      setListening(true);
      stop.current = () => {
        cancelAnimationFrame(frame);
        stream.getTracks().forEach((t) => t.stop());
        void ctx.close();
        setListening(false);
        setLevel(0);
      };
    } catch (err) {
      setError(
        (err as DOMException).name === "NotAllowedError"
          ? "The browser was not allowed to use the microphone. Allow it in the address bar and try again."
          : `The microphone cannot be opened: ${(err as Error).message}`,
      );
    }
  };

  return (
    <div className={styles.field}>
      <div className={styles.labelRow}>
        <label htmlFor="microphone">Microphone</label>
        <span className={styles.source}>this browser</span>
      </div>
      <div className={styles.inline}>
        <select
          id="microphone"
          value={chosen}
          onChange={(e) => {
            setChosen(e.target.value);
            localStorage.setItem(MIC_STORAGE_KEY, e.target.value);
            if (listening) void listen(e.target.value);
          }}
        >
          <option value="">System default</option>
          {devices.map((d, i) => (
            <option key={d.deviceId || i} value={d.deviceId}>
              {d.label || `Microphone ${i + 1}`}
            </option>
          ))}
        </select>
        <button
          type="button"
          className={styles.secondary}
          onClick={() => (listening ? stop.current?.() : void listen(chosen))}
        >
          {listening ? "Stop" : "Check level"}
        </button>
      </div>
      <div
        className={styles.meter}
        role="meter"
        aria-label="Microphone level"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(level * 100)}
        data-testid="mic-level"
      >
        <span style={{ width: `${Math.round(level * 100)}%` }} />
      </div>
      <p className={styles.help}>Kept in this browser only. Speak to see the level move.</p>
      {error && (
        <p className={styles.error} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
