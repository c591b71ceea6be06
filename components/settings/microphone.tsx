"use client";
// The microphone for voice mode (kept in this browser), with a live level meter to check it works.
import { useEffect, useRef, useState } from "react";
import styles from "./settings.module.css";

export const MIC_STORAGE_KEY = "soma.microphone";
/** Sounds quieter than this (dB below full scale) leave the bar empty: about a quiet room's noise. */
const FLOOR_DB = -60;
/**
 * How fast the bar falls back, as a share of its width per second. Speech and clicks are short (a
 * test microphone beeps for about 35 ms every half second): without a slow fall the bar would be
 * empty most of the time, and a reading taken at the wrong moment would see nothing.
 */
const FALL_PER_SECOND = 0.5;

export function MicrophonePicker() {
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [chosen, setChosen] = useState<string>("");
  const [level, setLevel] = useState(0); // whole percent, 0..100
  const [listening, setListening] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const stop = useRef<(() => void) | null>(null);
  /** Counts starts; a microphone that opens after a newer start (or after unmount) is closed again. */
  const generation = useRef(0);

  const refresh = async () => {
    if (!navigator.mediaDevices?.enumerateDevices) return setError("This browser cannot list microphones.");
    const all = await navigator.mediaDevices.enumerateDevices();
    setDevices(all.filter((d) => d.kind === "audioinput"));
  };
  useEffect(() => {
    setChosen(localStorage.getItem(MIC_STORAGE_KEY) ?? "");
    void refresh();
    return () => {
      generation.current++;
      stop.current?.();
    };
  }, []);

  const listen = async (deviceId: string) => {
    stop.current?.();
    const mine = ++generation.current;
    setError(null);
    // Made here, inside the click and before any await: browsers only let audio run when the
    // context is created or resumed from a user gesture (Safari strictly, Chromium once clicked).
    const ctx = new AudioContext();
    // Not awaited: resume() stays pending until the browser allows audio, which must not stop the
    // microphone from opening (and showing its error if it cannot).
    if (ctx.state === "suspended") void ctx.resume();
    try {
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: deviceId ? { deviceId: { exact: deviceId } } : true,
      });
      if (mine !== generation.current) {
        stream.getTracks().forEach((t) => t.stop());
        void ctx.close();
        return;
      }
      await refresh(); // labels appear once permission is given
      const analyser = ctx.createAnalyser();
      // About 45 ms of sound, longer than a frame (17 ms), so no short sound falls between two reads.
      analyser.fftSize = 2048;
      ctx.createMediaStreamSource(stream).connect(analyser);
      const buf = new Float32Array(analyser.fftSize);
      let frame = 0;
      let held = 0;
      let last = performance.now();
      const tick = (now: number) => {
        analyser.getFloatTimeDomainData(buf);
        let peak = 0;
        for (const v of buf) peak = Math.max(peak, Math.abs(v));
        // Decibels, as loudness is heard: a normal voice fills about half the bar instead of a
        // sliver. Silence (log10(0) = -Infinity) comes out as 0.
        const current = Math.min(1, Math.max(0, (20 * Math.log10(peak) - FLOOR_DB) / -FLOOR_DB));
        // Peak hold: the bar jumps up at once and falls back slowly, so short sounds stay visible.
        held = Math.max(current, held - (FALL_PER_SECOND * Math.max(0, now - last)) / 1000);
        last = now;
        setLevel(Math.round(held * 100)); // whole percent: React skips the render when unchanged
        frame = requestAnimationFrame(tick);
      };
      frame = requestAnimationFrame(tick);
      setListening(true);
      stop.current = () => {
        cancelAnimationFrame(frame);
        stream.getTracks().forEach((t) => t.stop());
        void ctx.close();
        setListening(false);
        setLevel(0);
      };
    } catch (err) {
      void ctx.close();
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
        aria-valuenow={level}
        data-testid="mic-level"
      >
        <span style={{ width: `${level}%` }} />
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
