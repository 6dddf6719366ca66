#pragma once
// Deterministic repo files for the Hub tests and independent digests of them (Qt's own SHA-1 and
// SHA-256, not the client's OpenSSL).

#include <QByteArray>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QString>

namespace mistudio::test {

inline QByteArray patternBytes(int size, uint32_t seed) {
    QByteArray out(size, Qt::Uninitialized);
    uint32_t x = seed * 2654435761u + 1;
    for (int i = 0; i < size; ++i) {
        x = x * 1664525u + 1013904223u;
        out[i] = char(x >> 24);
    }
    return out;
}

inline void writeBytes(const QString& path, const QByteArray& data) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    if (f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        f.write(data);
}

inline QByteArray readBytes(const QString& path) {
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

inline QString sha256Of(const QByteArray& data) {
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

/// git's object id of a blob: sha1("blob <size>\0" + content).
inline QString gitBlobIdOf(const QByteArray& data) {
    const QByteArray header = "blob " + QByteArray::number(data.size()) + '\0';
    return QString::fromLatin1(
        QCryptographicHash::hash(header + data, QCryptographicHash::Sha1).toHex());
}

/// The blob name huggingface_hub gives a file: the sha256 for LFS files (the fake Hub treats
/// .safetensors and .parquet as LFS), the git blob id otherwise.
inline QString blobNameOf(const QString& path, const QByteArray& data) {
    const bool lfs = path.endsWith(".safetensors") || path.endsWith(".parquet");
    return lfs ? sha256Of(data) : gitBlobIdOf(data);
}

} // namespace mistudio::test
