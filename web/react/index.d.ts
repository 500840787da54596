// Typings of @planner-bridge/react (hand-written; the contract is docs/reference.md, "Driving the planner from the page").

import type { CSSProperties, ForwardRefExoticComponent, RefAttributes, RefObject } from "react";
import type {
  PlannerCommands,
  PlannerEvents,
  PlannerUser,
  Theme,
  TokenAnswer,
  TokenRequest,
} from "@planner-bridge/sdk";

/** One planner event as onEvent gets it: narrow on `name` to type `content`. */
export type PlannerEventRecord = {
  [E in Extract<keyof PlannerEvents, string>]: { name: E; content: PlannerEvents[E] };
}[Extract<keyof PlannerEvents, string>];

export interface PlannerProps {
  /** The planner page with its entity; changing it makes a new embedding. */
  plannerUrl: string;
  /** Asks your back-end for a token (see @planner-bridge/sdk); the latest one given is called. */
  fetchToken: (request: TokenRequest) => Promise<TokenAnswer>;
  /** "auto" (follows the planner's content), a number of pixels or a CSS length; at mount. */
  height?: "auto" | number | string;
  minHeight?: number;
  maxHeight?: number;
  /** Sent at mount, and as setTheme whenever it changes. */
  theme?: Theme;
  /** Sent at mount, and as setLocale whenever it (or currency) changes. */
  locale?: string;
  currency?: string;
  /** Every planner event and the SDK's `error`. */
  onEvent?: (event: PlannerEventRecord) => void;
  title?: string;
  loadTimeoutMs?: number;
  answerDeadlineMs?: number;
  crossTab?: boolean;
  className?: string;
  style?: CSSProperties;
}

/** What `usePlanner().current` holds while the component is mounted. */
export interface PlannerHandle extends PlannerCommands {
  /** The mounted embedding's `ready`. */
  readonly ready: Promise<void>;
  readonly iframe: HTMLIFrameElement | null;
  login(): Promise<PlannerUser>;
  logout(): Promise<void>;
}

export declare const Planner: ForwardRefExoticComponent<PlannerProps & RefAttributes<PlannerHandle>>;

/** A ref for `<Planner ref={planner} />`: `planner.current?.addItem(...)` (`current` is null
 * while nothing is mounted). */
export declare function usePlanner(): RefObject<PlannerHandle>;
