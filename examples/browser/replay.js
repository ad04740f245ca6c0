// Replay controls for a recorded episode: play/pause, step back and
// forward, a scrub bar and a speed from 0.25× to 4×. The player owns only
// the frame index; the panel draws frame k (and how far it is towards k + 1,
// for smooth movement) in onFrame. Its state is mirrored on the controls'
// element as data-step, data-frames, data-playing and data-speed.

export const SPEEDS = [0.25, 0.5, 1, 2, 4];

export class Player {
  /**
   * root: an empty element the controls are built in; frameMs: one frame at
   * 1×; onFrame(k, frac); onEnd(): the episode reached its last frame while
   * playing (a panel may load the next one here).
   */
  constructor(root, { frameMs, onFrame, onEnd = () => {}, label = "frame" }) {
    this.root = root;
    this.frameMs = frameMs;
    this.onFrame = onFrame;
    this.onEnd = onEnd;
    this.count = 0;
    this.k = 0;
    this.frac = 0;
    this.speed = 1;
    this.playing = false;
    this.raf = 0;
    const el = (tag, props) => Object.assign(document.createElement(tag), props);
    this.back = el("button", { type: "button", className: "step-back", title: "step back (←)", textContent: "◀" });
    this.play = el("button", { type: "button", className: "play", title: "play / pause (space)", textContent: "Play" });
    this.fwd = el("button", { type: "button", className: "step-forward", title: "step forward (→)", textContent: "▶" });
    this.scrub = el("input", { type: "range", className: "scrub", min: "0", max: "0", step: "1", value: "0" });
    this.scrub.setAttribute("aria-label", "scrub through the episode");
    this.speedSelect = el("select", { className: "speed", title: "playback speed" });
    this.speedSelect.setAttribute("aria-label", "speed");
    for (const s of SPEEDS) this.speedSelect.append(el("option", { value: String(s), textContent: `${s}×`, selected: s === 1 }));
    this.out = el("output", { className: "step-label", textContent: "–" });
    this.labelWord = label;
    root.classList.add("player");
    root.replaceChildren(this.back, this.play, this.fwd, this.scrub, this.speedSelect, this.out);
    this.back.addEventListener("click", () => this.step(-1));
    this.fwd.addEventListener("click", () => this.step(1));
    this.play.addEventListener("click", () => this.toggle());
    this.scrub.addEventListener("input", () => this.seek(Number(this.scrub.value)));
    this.speedSelect.addEventListener("change", () => this.setSpeed(Number(this.speedSelect.value)));
    this.keys(root);
    this.sync();
  }

  /** ← and → step, space plays or pauses, while `target` (the controls, a canvas) has the focus. */
  keys(target) {
    if (target.tabIndex < 0) target.tabIndex = 0;
    target.addEventListener("keydown", (e) => {
      if (e.key === "ArrowLeft") this.step(-1);
      else if (e.key === "ArrowRight") this.step(1);
      else if (e.key === " " && e.target === target) this.toggle();
      else return;
      e.preventDefault();
    });
  }

  /** A new episode of `count` frames, from its first frame; plays at once unless autoplay is false. */
  load(count, { autoplay = true } = {}) {
    this.count = count;
    this.k = 0;
    this.frac = 0;
    this.scrub.max = String(Math.max(count - 1, 0));
    this.draw();
    if (autoplay) this.start(); else this.pause();
  }

  get atEnd() {
    return this.k >= this.count - 1;
  }

  start() {
    if (this.count === 0) return;
    if (this.atEnd) this.k = 0;
    this.playing = true;
    let last = performance.now();
    const tick = (now) => {
      if (!this.playing) return;
      this.frac += ((now - last) * this.speed) / this.frameMs;
      last = now;
      while (this.frac >= 1 && !this.atEnd) { this.frac -= 1; this.k++; }
      if (this.atEnd) {
        this.frac = 0;
        this.playing = false;
        this.draw();
        this.onEnd();
        return;
      }
      this.draw();
      this.raf = requestAnimationFrame(tick);
    };
    cancelAnimationFrame(this.raf);
    this.raf = requestAnimationFrame(tick);
    this.sync();
  }

  pause() {
    this.playing = false;
    cancelAnimationFrame(this.raf);
    this.frac = 0;
    this.draw();
  }

  toggle() {
    if (this.playing) this.pause(); else this.start();
  }

  /** Pauses and moves d frames. */
  step(d) {
    this.pause();
    this.seek(this.k + d);
  }

  seek(k) {
    this.k = Math.max(0, Math.min(this.count - 1, Math.round(k)));
    this.frac = 0;
    this.draw();
  }

  setSpeed(s) {
    if (!SPEEDS.includes(s)) throw new RangeError(`speed must be one of ${SPEEDS.join(", ")}, got ${s}`);
    this.speed = s;
    this.speedSelect.value = String(s);
    this.sync();
  }

  draw() {
    if (this.count > 0) this.onFrame(this.k, this.frac);
    this.sync();
  }

  sync() {
    const d = this.root.dataset;
    d.step = String(this.k);
    d.frames = String(this.count);
    d.playing = String(this.playing);
    d.speed = String(this.speed);
    this.scrub.value = String(this.k);
    this.play.textContent = this.playing ? "Pause" : this.count && this.atEnd ? "Replay" : "Play";
    this.back.disabled = this.fwd.disabled = this.scrub.disabled = this.count === 0;
    this.play.disabled = this.count === 0;
    this.out.textContent = this.count ? `${this.labelWord ? `${this.labelWord} ` : ""}${this.k} / ${this.count - 1}` : "–";
  }
}
