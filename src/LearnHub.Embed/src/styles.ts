// The panel's look, after the site's side panel: a white card, the title with 更多 > on one line, then one row per
// session (title, then instructor and badge). Everything is scoped to the shadow root.
export const panelCss = `
:host { display: block; box-sizing: border-box; max-width: 100%; font-family: system-ui, -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; color: #1f2329; }
:host([hidden]) { display: none; }
*, *::before, *::after { box-sizing: border-box; }
.panel { background: #fff; border: 1px solid #e8eaed; border-radius: 8px; padding: 16px; }
.head { display: flex; align-items: baseline; justify-content: space-between; gap: 8px; margin-bottom: 8px; }
h2 { margin: 0; font-size: 18px; font-weight: 600; line-height: 1.4; }
.more { color: #5c6370; font-size: 14px; text-decoration: none; white-space: nowrap; }
.more:hover, .more:focus-visible { color: #c8161d; text-decoration: underline; }
.list { list-style: none; margin: 0; padding: 0; }
.item { padding: 12px 0; border-top: 1px solid #f0f1f3; }
.item:first-child { border-top: 0; }
.title { display: block; font-size: 15px; line-height: 1.5; color: #1f2329; text-decoration: none; overflow-wrap: anywhere; }
a.title:hover, a.title:focus-visible { color: #c8161d; text-decoration: underline; }
.meta { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 4px 12px; margin-top: 6px; font-size: 13px; color: #5c6370; }
.instructor { overflow-wrap: anywhere; }
.badge { white-space: nowrap; font-variant-numeric: tabular-nums; }
.badge.live { color: #fff; background: #c8161d; border-radius: 4px; padding: 1px 8px; }
.status { margin: 8px 0; font-size: 14px; color: #5c6370; }
.status[hidden] { display: none; }
.sr { position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
a:focus-visible { outline: 2px solid #1a73e8; outline-offset: 2px; }
`;
