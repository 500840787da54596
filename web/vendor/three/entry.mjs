// The part of three.js the planner's 3D view uses (web/planner/view3d.js), bundled by
// `make three` into three-planner.js: one file, only what is imported (about a quarter of three.js, minified; its MIT licence kept inline).
export {
  BoxGeometry, Color, DirectionalLight, Group, HemisphereLight, Mesh, MeshStandardMaterial,
  PerspectiveCamera, Scene, WebGLRenderer,
} from "three";
export { OrbitControls } from "three/addons/controls/OrbitControls.js";
