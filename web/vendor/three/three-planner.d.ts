// Types of the bundled part of three.js (entry.mjs), loosely: the planner uses few of its calls,
// and three's own typings (@types/three) are not worth a dependency here.
/* eslint-disable */
export const BoxGeometry: any;
export const Color: any;
export const DirectionalLight: any;
export const Group: any;
export const HemisphereLight: any;
export const Mesh: any;
export const MeshStandardMaterial: any;
export const PerspectiveCamera: any;
export const Scene: any;
export const WebGLRenderer: any;
export type WebGLRenderer = any;
export const OrbitControls: any;
