#pragma once
namespace mistudio {
/// True when spdlog's default logger has the sink that forwards to the running job.
bool jobLogSinkInstalled();
/// Adds that sink to the default logger if it is missing (the engine calls this once).
void ensureJobLogSink();
} // namespace mistudio
