//! The file watcher: notify events, debounced into batches of paths for the indexer.
