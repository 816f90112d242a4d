//! The HTTP server (`http-api.md`): router, guard, handlers.
