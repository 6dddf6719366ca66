// Opening and creating projects, and the asset-path helpers.
#include "mistudio/project.h"

#include "mistudio/result.h"
#include "store/project_impl.h"
#include "store/schema.h"

#include <filesystem>
#include <unistd.h>

namespace fs = std::filesystem;

namespace mistudio {

using store::Database;

int Project::schemaVersion() {
    return store::kSchemaVersion;
}

Project::Project(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Project::~Project() = default;
Project::Project(Project&&) noexcept = default;
Project& Project::operator=(Project&&) noexcept = default;

Project Project::open(const std::string& path) {
    if (!fs::exists(path))
        throw Exception(ErrorCode::NotFound, "The project file does not exist", path,
                        "Check the path, or create the project first");
    store::checkFileHeader(path); // before SQLite may write anything
    {
        Database probe(path, Database::Mode::ReadOnly);
        store::checkOpenedDatabase(probe);
    }
    Database writer(path, Database::Mode::ReadWrite);
    store::configureConnection(writer);
    store::migrate(writer);
    auto impl = std::make_unique<Impl>(path, std::move(writer));
    impl->reader.emplace(path, Database::Mode::ReadOnly);
    store::configureConnection(*impl->reader);
    return Project(std::move(impl));
}

Project Project::create(const std::string& path) {
    if (path.empty() || path == ":memory:")
        throw Exception(ErrorCode::InvalidArgument, "A project needs a file name", path,
                        "Pass a path such as my-study.mistudio");
    if (fs::exists(path))
        throw Exception(ErrorCode::InvalidArgument, "A file already exists at this path", path,
                        "Open it, or choose another name");
    const fs::path target(path);
    if (target.has_parent_path() && !fs::is_directory(target.parent_path()))
        throw Exception(ErrorCode::NotFound, "The project's folder does not exist",
                        target.parent_path().string(), "Create the folder first");
    // Build the schema under a temporary name, then rename: a crash never leaves a half-made
    // project at `path`.
    const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
    try {
        Database db(tmp, Database::Mode::ReadWriteCreate);
        db.exec("PRAGMA page_size = 8192; PRAGMA journal_mode = WAL;");
        store::configureConnection(db);
        store::migrate(db);
    } catch (...) {
        std::error_code ec;
        fs::remove(tmp, ec);
        fs::remove(tmp + "-wal", ec);
        fs::remove(tmp + "-shm", ec);
        throw;
    }
    fs::rename(tmp, path);
    std::error_code ec;
    fs::create_directories(fs::path(path).replace_extension(".assets"), ec);
    return open(path);
}

Project Project::openOrCreate(const std::string& path) {
    return fs::exists(path) ? open(path) : create(path);
}

Project Project::inMemory() {
    Database db(":memory:", Database::Mode::ReadWriteCreate);
    store::configureConnection(db);
    store::migrate(db);
    auto impl = std::make_unique<Impl>(":memory:", std::move(db));
    impl->memory = true;
    return Project(std::move(impl));
}

const std::string& Project::path() const {
    return m_impl->path;
}

std::string Project::assetsDir() const {
    if (m_impl->memory)
        return {};
    const fs::path dir = fs::path(m_impl->path).replace_extension(".assets");
    std::error_code ec;
    fs::create_directories(dir, ec);
    return dir.string();
}

std::string Project::toAssetPath(const std::string& absolute) const {
    if (m_impl->memory)
        return absolute;
    const fs::path base = fs::weakly_canonical(assetsDir());
    const fs::path p = fs::weakly_canonical(absolute);
    const fs::path rel = p.lexically_relative(base);
    if (rel.empty() || *rel.begin() == "..")
        return absolute;
    return rel.generic_string();
}

std::string Project::resolveAssetPath(const std::string& relative) const {
    if (relative.empty() || fs::path(relative).is_absolute() || m_impl->memory)
        return relative;
    return (fs::path(assetsDir()) / relative).string();
}

void requireRun(Database& db, int64_t runId) {
    auto st = db.prepare("SELECT 1 FROM runs WHERE id = ?1");
    st.bind(1, runId);
    if (!st.step())
        throw Exception(ErrorCode::NotFound, "There is no run " + std::to_string(runId), db.path(),
                        "List the runs with 'mistudio-cli runs --project " + db.path() + "'");
}

} // namespace mistudio
