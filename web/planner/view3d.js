// @ts-check
/**
 * The 3D view: the same room and items as the plan, in three.js, for looking (the 2D plan stays
 * the place to edit). three.js is big, so nothing of it loads until the shopper first opens the
 * view ("3D" button): the module is not preloaded and the first paint never waits for it. One
 * renderer for the page's life; a frame is drawn when the design changes or the camera moves,
 * never in a loop. Without WebGL the view says so in a sentence.
 *
 * Hooks for tests: the canvas is `data-testid=view-3d` with `data-items` (boxes in the scene)
 * and `data-revision` (designs drawn so far); `positions()` gives each box's centre in mm.
 */
import { button, el } from "./dom.js";

/** @typedef {import("../sdk/protocol.js").Design} Design */
/** @typedef {import("../sdk/protocol.js").DesignItem} DesignItem */
/** @typedef {typeof import("../vendor/three/three-planner.js")} Three */
/** @typedef {{three: Three, renderer: any, scene: any, camera: any, controls: any, room: any,
 *   items: any}} GL  three.js's objects, loosely typed (three-planner.d.ts) */

/** Where a wall unit's bottom edge hangs when the catalog gave no elevation (mm). */
const WALL_UNIT_ELEVATION = 1400;
const WALL_HEIGHT = 2500;
const WALL_THICKNESS = 100;
const MM = 0.001; // the scene is in metres
const COLOURS = { floor: 0xd8c8a8, wall: 0xf1efe9, base: 0xf4f4f2, hanging: 0xeef2f5, front: 0xb9c6d0 };

/** Where an item's box sits, in mm: its centre on the floor plan, its bottom's height, and its
 * size as turned. x and y are the top-left corner of what it covers, as on the plan.
 * @param {DesignItem & {elevation?: number}} item */
export function placement(item) {
  const turned = item.rotation % 180 !== 0;
  const across = turned ? item.depth : item.width;
  const deep = turned ? item.width : item.depth;
  const bottom = typeof item.elevation === "number" ? item.elevation
    : item.mount === "wall" ? WALL_UNIT_ELEVATION : 0;
  return { x: item.x + across / 2, y: item.y + deep / 2, bottom, rotation: item.rotation };
}

export class View3D {
  /** @type {Design | null} */ #design = null;
  /** @type {Promise<void> | null} */ #loading = null;
  /** @type {GL | null} */ #gl = null;
  revision = 0;

  /**
   * @param {{t: (key: string) => string, load?: () => Promise<Three>}} options `t`: the page's
   *   words (i18n.js; labels carry data-i18n-label so they follow a change of locale); `load`:
   *   how three.js is fetched (a dynamic import)
   */
  constructor({ t, load = () => import("../vendor/three/three-planner.js") }) {
    this.t = t;
    this.load = load;
    this.panel = el("div", { id: "view-3d-panel", class: "view-3d", role: "region",
      "aria-label": t("view3d"), "data-i18n-label": "view3d" });
    this.panel.hidden = true;
    this.toggle = button("3D", "open-3d", () => void (this.panel.hidden ? this.open() : this.close()),
      t("show3d"));
    this.toggle.dataset.i18nLabel = "show3d";
    this.toggle.setAttribute("aria-expanded", "false");
    this.toggle.setAttribute("aria-controls", "view-3d-panel");
  }

  /** Put the button and the view after `anchor` (the plan). @param {Element} anchor */
  mount(anchor) {
    anchor.after(this.toggle, this.panel);
  }

  async open() {
    this.panel.hidden = false;
    this.toggle.setAttribute("aria-expanded", "true");
    this.#loading ??= this.#start().catch((error) => {
      this.#loading = null; // a failed download may work next time
      this.#say(this.t(error?.name === "NoWebGL" ? "noWebGL" : "no3d"));
    });
    await this.#loading;
    this.#draw();
  }

  close() {
    this.panel.hidden = true;
    this.toggle.setAttribute("aria-expanded", "false");
  }

  /** The design changed: the view follows (drawn now if open, else when opened). @param {Design} design */
  update(design) {
    this.#design = design;
    if (!this.panel.hidden) this.#draw();
  }

  /** Each box's centre in mm (x, y on the plan; z its height), for tests. */
  positions() {
    if (!this.#gl) return [];
    return this.#gl.items.children.map((/** @type {any} */ mesh) => ({
      id: mesh.userData.id,
      x: Math.round(mesh.position.x / MM), y: Math.round(mesh.position.z / MM),
      z: Math.round(mesh.position.y / MM), rotation: mesh.userData.rotation }));
  }

  async #start() {
    const three = await this.load();
    const canvas = /** @type {HTMLCanvasElement} */ (el("canvas", { "data-testid": "view-3d",
      role: "img", "aria-label": this.t("view3dCanvas"), "data-i18n-label": "view3dCanvas" }));
    let renderer;
    try {
      renderer = new three.WebGLRenderer({ canvas, antialias: true });
    } catch {
      throw Object.assign(new Error("no WebGL"), { name: "NoWebGL" });
    }
    renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    const scene = new three.Scene();
    scene.background = new three.Color(0xf7f6f2);
    scene.add(new three.HemisphereLight(0xffffff, 0xb0a890, 2.2));
    const sun = new three.DirectionalLight(0xffffff, 1.6);
    sun.position.set(-3, 6, 4);
    scene.add(sun);
    const camera = new three.PerspectiveCamera(45, 1, 0.05, 100);
    const controls = new three.OrbitControls(camera, canvas);
    controls.addEventListener("change", () => this.#render()); // frames only while it moves
    const room = new three.Group();
    const items = new three.Group();
    scene.add(room, items);
    this.#gl = { three, renderer, scene, camera, controls, room, items };
    this.panel.replaceChildren(canvas);
    new ResizeObserver(() => this.#resize()).observe(this.panel);
    this.#resize();
    this.#aim(this.#gl);
  }

  /** Look at the room from the front, a little above, once at the start. */
  /** @param {GL} gl */
  #aim(gl) {
    const room = this.#design?.room ?? { width: 4000, depth: 3000 };
    const cx = (room.width / 2) * MM;
    const cz = (room.depth / 2) * MM;
    const reach = Math.max(room.width, room.depth) * MM;
    gl.camera.position.set(cx + reach * 0.15, reach * 0.7, cz + reach * 1.05);
    gl.controls.target.set(cx, 0.8, cz);
    gl.controls.update();
  }

  #resize() {
    const gl = this.#gl;
    if (!gl) return;
    const width = this.panel.clientWidth || 320;
    const height = Math.round(Math.min(Math.max(width * 0.6, 220), 480));
    gl.renderer.setSize(width, height);
    gl.camera.aspect = width / height;
    gl.camera.updateProjectionMatrix();
    this.#render();
  }

  /** Rebuild the room and the boxes from the design as it is now, and draw one frame. */
  #draw() {
    const gl = this.#gl;
    if (!gl || !this.#design) return;
    const { three } = gl;
    dispose(gl.room);
    dispose(gl.items);
    gl.room.add(...roomMeshes(three, this.#design.room));
    gl.items.add(...this.#design.items.map((item) => itemMesh(three, item)));
    this.revision += 1;
    const canvas = gl.renderer.domElement;
    canvas.dataset.items = String(gl.items.children.length);
    canvas.dataset.revision = String(this.revision);
    this.#render();
  }

  #render() {
    if (this.#gl && !this.panel.hidden) this.#gl.renderer.render(this.#gl.scene, this.#gl.camera);
  }

  /** @param {string} sentence */
  #say(sentence) {
    this.panel.replaceChildren(el("p", { "data-testid": "view-3d-unavailable", class: "help" }, sentence));
  }
}

/** Empty a group, freeing what its meshes held on the GPU. @param {any} group */
function dispose(group) {
  for (const mesh of group.children) {
    mesh.traverse((/** @type {any} */ part) => { part.geometry?.dispose(); part.material?.dispose(); });
  }
  group.clear();
}

/** A box of the given size (mm) and colour, its bottom at y = 0 of its parent.
 * @param {Three} three @param {number} w @param {number} h @param {number} d @param {number} colour */
function box(three, w, h, d, colour) {
  const mesh = new three.Mesh(new three.BoxGeometry(w * MM, h * MM, d * MM),
    new three.MeshStandardMaterial({ color: colour, roughness: 0.8 }));
  mesh.position.y = (h / 2) * MM;
  return mesh;
}

/** The floor and the two back walls (the front ones would hide the room).
 * @param {Three} three @param {{width: number, depth: number}} room */
function roomMeshes(three, room) {
  const floor = box(three, room.width, 20, room.depth, COLOURS.floor);
  floor.position.set((room.width / 2) * MM, -10 * MM, (room.depth / 2) * MM);
  const back = box(three, room.width + 2 * WALL_THICKNESS, WALL_HEIGHT, WALL_THICKNESS, COLOURS.wall);
  back.position.x = (room.width / 2) * MM;
  back.position.z = (-WALL_THICKNESS / 2) * MM;
  const left = box(three, WALL_THICKNESS, WALL_HEIGHT, room.depth, COLOURS.wall);
  left.position.x = (-WALL_THICKNESS / 2) * MM;
  left.position.z = (room.depth / 2) * MM;
  return [floor, back, left];
}

/** An item as a box, turned as on the plan, with a darker strip on its front (where its doors
 * are) so its turn shows. @param {Three} three @param {DesignItem} item */
function itemMesh(three, item) {
  const at = placement(item);
  const group = new three.Group();
  group.add(box(three, item.width, item.height, item.depth,
    item.mount === "wall" ? COLOURS.hanging : COLOURS.base));
  const front = box(three, item.width * 0.9, Math.min(item.height * 0.9, item.height - 20), 8, COLOURS.front);
  front.position.z = ((item.depth + 8) / 2) * MM;
  front.position.y += (item.height * 0.05) * MM;
  group.add(front);
  group.position.set(at.x * MM, at.bottom * MM, at.y * MM);
  group.rotation.y = (-at.rotation * Math.PI) / 180; // the plan turns clockwise, seen from above
  group.userData = { id: item.id, rotation: at.rotation };
  return group;
}
