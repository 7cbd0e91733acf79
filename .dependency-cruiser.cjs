/**
 * The dependency directions of the architecture, checked by `npm run lint`
 * (README, "Architecture"). A forbidden import fails the lint with the rule's name.
 */
module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "Modules form a tree of layers: an import cycle means a module is in the wrong place.",
      severity: "error",
      from: { path: "^(src|commands|scripts)/" },
      to: { circular: true },
    },
    {
      name: "music-is-the-base",
      comment: "src/music (tunes, ABC, MIDI, tokens) imports nothing above it.",
      severity: "error",
      from: { path: "^src/music/" },
      to: { path: "^(src/(?!music/)|commands/|scripts/)" },
    },
    {
      name: "model-knows-no-chat",
      comment:
        "src/model (backend, LSTM, training, sampling) knows nothing of Discord, the bot, the jobs or the versions it is stored as.",
      severity: "error",
      from: { path: "^src/model/" },
      to: {
        path: "(^src/(bot|jobs|compose|retrain|versions)/|^commands/|node_modules/(discord\\.js|@discordjs)/)",
      },
    },
    {
      name: "renderers-are-pure",
      comment: "src/render turns a tune into files: no model, service, store, jobs or chat.",
      severity: "error",
      from: { path: "^src/render/" },
      to: {
        path: "(^src/(bot|jobs|compose|retrain|store|model|versions)/|^commands/|node_modules/(discord\\.js|@discordjs)/)",
      },
    },
    {
      name: "compose-and-store-know-no-discord",
      comment: "The composition service and the store work the same from the CLI, the bot and the workers.",
      severity: "error",
      from: { path: "^src/(compose|store)/" },
      to: { path: "(^src/bot/|^commands/|node_modules/(discord\\.js|@discordjs)/)" },
    },
    {
      name: "versions-serve-everyone",
      comment:
        "src/versions (model versions on disk, the active pointer, following it) serves the bot, the workers and the CLIs alike: it knows none of them, nor the composition service.",
      severity: "error",
      from: { path: "^src/versions/" },
      to: {
        path: "(^src/(bot|jobs|compose|retrain)/|^commands/|^scripts/|node_modules/(discord\\.js|@discordjs)/)",
      },
    },
    {
      name: "store-holds-rows",
      comment:
        "src/store is rows in SQLite; src/versions keeps them in line with the disk, never the other way round.",
      severity: "error",
      from: { path: "^src/store/" },
      to: { path: "^src/versions/" },
    },
    {
      name: "jobs-know-no-pool-internals",
      comment:
        "The job seam and the Redis client side speak the service's types (compose/service.ts); only the two engines that run a pool (local.ts, the Redis worker process) may use it, and nothing in jobs reaches into a worker thread.",
      severity: "error",
      from: { path: "^src/jobs/", pathNot: "^src/jobs/(local|redis-worker)\\.ts$" },
      to: { path: "^src/compose/(pool|composer-thread)\\.ts$" },
    },
    {
      name: "no-worker-thread-internals",
      comment:
        "compose/composer-thread.ts is a worker thread's entry: only the pool that spawns it knows its messages.",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/compose/(pool|composer-thread)\\.ts$" },
      to: { path: "^src/compose/composer-thread\\.ts$" },
    },
    {
      name: "src-knows-no-commands-or-scripts",
      comment: "commands/ and scripts/ are thin layers over src, never the other way round.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(commands|scripts)/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
