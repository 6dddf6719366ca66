#include "reliability_support.h"

#include "test_support.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QtTest>
#include <algorithm>
#include <cmath>
#include <cstring>
#include <sqlite3.h>

namespace mistudio::test {

namespace {

void startCli(QProcess& p, const QStringList& args, const QProcessEnvironment& env) {
    if (!env.isEmpty())
        p.setProcessEnvironment(env);
    p.start(cliPath(), QStringList{"--threads", "1"} + args);
    p.waitForStarted(30000);
}

} // namespace

uint32_t killSeed(const char* stage) {
    bool ok = false;
    uint32_t seed = qEnvironmentVariable("MISTUDIO_KILL_SEED").toUInt(&ok);
    if (!ok)
        seed = std::random_device{}();
    qInfo("%s: kill seed %u (reproduce with MISTUDIO_KILL_SEED=%u)", stage, seed, seed);
    return seed;
}

CliRun runUntilDone(const std::function<QStringList()>& args, std::mt19937& rng, int minMs,
                    int maxMs, int& kills, const QProcessEnvironment& env,
                    const std::function<void()>& afterKill) {
    for (int attempt = 0; attempt < 200; ++attempt) {
        QProcess p;
        startCli(p, args(), env);
        const int delay = minMs + int(rng() % uint32_t(std::max(1, maxMs - minMs)));
        if (p.waitForFinished(delay)) {
            CliRun r;
            r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
            r.out = p.readAllStandardOutput();
            r.err = p.readAllStandardError();
            return r;
        }
        p.kill(); // SIGKILL
        p.waitForFinished();
        ++kills;
        if (afterKill)
            afterKill();
    }
    return {};
}

QMap<QString, QByteArray> readTree(const QString& dir) {
    QMap<QString, QByteArray> out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile f(path);
        if (f.open(QIODevice::ReadOnly))
            out.insert(QDir(dir).relativeFilePath(path), f.readAll());
    }
    return out;
}

QStringList partialFiles(const QString& dir) {
    QStringList out;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString name = QFileInfo(path).fileName();
        if (name.endsWith(".tmp") || name.contains(".tmp.") || name.endsWith(".incomplete") ||
            name.endsWith(".partial"))
            out << QDir(dir).relativeFilePath(path);
    }
    return out;
}

QString integrityCheck(const QString& path) {
    sqlite3* db = nullptr;
    QString result;
    if (sqlite3_open_v2(path.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) ==
        SQLITE_OK) {
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
        while (sqlite3_step(st) == SQLITE_ROW)
            result += QString::fromUtf8(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
        sqlite3_finalize(st);
    } else {
        result = QString::fromUtf8(sqlite3_errmsg(db));
    }
    sqlite3_close(db);
    return result;
}

QStringList tableRows(const QString& dbPath, const QString& table) {
    QStringList rows;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(dbPath.toUtf8().constData(), &db, SQLITE_OPEN_READONLY, nullptr) !=
        SQLITE_OK) {
        sqlite3_close(db);
        return {"cannot open " + dbPath};
    }
    sqlite3_stmt* st = nullptr;
    const QByteArray sql = ("SELECT * FROM " + table).toUtf8();
    if (sqlite3_prepare_v2(db, sql.constData(), -1, &st, nullptr) != SQLITE_OK)
        rows << "error: " + QString::fromUtf8(sqlite3_errmsg(db));
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        QStringList cells;
        for (int c = 0; c < sqlite3_column_count(st); ++c) {
            if (sqlite3_column_type(st, c) == SQLITE_BLOB) {
                const auto* b = static_cast<const char*>(sqlite3_column_blob(st, c));
                cells << QByteArray(b, sqlite3_column_bytes(st, c)).toHex();
            } else {
                const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
                cells << (t ? QString::fromUtf8(t) : QStringLiteral("NULL"));
            }
        }
        rows << cells.join('|');
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    rows.sort();
    return rows;
}

void writeSafetensors(const QString& path, const std::vector<F32Tensor>& tensors) {
    QJsonObject header;
    int64_t offset = 0;
    for (const F32Tensor& t : tensors) {
        QJsonArray shape;
        for (int64_t d : t.shape)
            shape.append(qint64(d));
        const int64_t bytes = int64_t(t.values.size()) * 4;
        header[QString::fromStdString(t.name)] =
            QJsonObject{{"dtype", "F32"},
                        {"shape", shape},
                        {"data_offsets", QJsonArray{qint64(offset), qint64(offset + bytes)}}};
        offset += bytes;
    }
    QByteArray text = QJsonDocument(header).toJson(QJsonDocument::Compact);
    text.append(QByteArray((8 - text.size() % 8) % 8, ' '));
    QByteArray file(8, 0);
    const uint64_t n = uint64_t(text.size());
    std::memcpy(file.data(), &n, 8); // little-endian hosts only (x86-64, arm64)
    file += text;
    for (const F32Tensor& t : tensors)
        file.append(reinterpret_cast<const char*>(t.values.data()), qsizetype(t.values.size() * 4));
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(file);
}

std::vector<float> randomValues(size_t n, uint32_t seed, float scale) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (float& x : v)
        x = u(rng);
    return v;
}

void writeRandomSae(const QString& dir, const QString& hook) {
    const int dIn = 64, dSae = 256;
    std::vector<float> bEnc = randomValues(dSae, 12, 1.f);
    for (float& b : bEnc)
        b = -0.5f - std::abs(b); // features fire at varied, mostly low rates
    writeSafetensors(dir + "/sae_weights.safetensors",
                     {{"W_enc", {dIn, dSae}, randomValues(size_t(dIn) * dSae, 10, 0.3f)},
                      {"b_enc", {dSae}, bEnc},
                      {"W_dec", {dSae, dIn}, randomValues(size_t(dSae) * dIn, 11, 0.2f)},
                      {"b_dec", {dIn}, std::vector<float>(dIn, 0.f)}});
    QFile f(dir + "/cfg.json");
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(QJsonDocument(QJsonObject{{"architecture", "standard"},
                                          {"activation_fn_str", "relu"},
                                          {"d_in", dIn},
                                          {"d_sae", dSae},
                                          {"dtype", "float32"},
                                          {"model_name", "aidreams260k"},
                                          {"hook_name", hook},
                                          {"context_size", 128},
                                          {"normalize_activations", "none"}})
                    .toJson());
}

} // namespace mistudio::test
