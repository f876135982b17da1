/**
 * The dashboard's static files (the HTML page, its ES modules and style), read once from
 * `src/server/dashboard/` and served by the app itself: nothing comes from a CDN. The modules are plain
 * JavaScript with JSDoc types, type-checked by `deno check` (`// @ts-check`), so they are served as they are.
 *
 * @module
 */

/** A static file: its bytes and content type. */
export interface Asset {
  body: string;
  type: string;
}

/** The dashboard page, its assets by file name, and the Content-Security-Policy for the page. */
export interface DashboardAssets {
  html: string;
  files: ReadonlyMap<string, Asset>;
  csp: string;
}

const TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
};

/** Loads the dashboard files. */
export function dashboardAssets(): DashboardAssets {
  const read = (name: string) => Deno.readTextFileSync(new URL(`./dashboard/${name}`, import.meta.url));
  const files = new Map<string, Asset>();
  for (const entry of Deno.readDirSync(new URL("./dashboard/", import.meta.url))) {
    const type = TYPES[entry.name.split(".").pop()!];
    if (entry.isFile && type) files.set(entry.name, { body: read(entry.name), type });
  }
  return {
    html: read("index.html"),
    files,
    csp: "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'",
  };
}
