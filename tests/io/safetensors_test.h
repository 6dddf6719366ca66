#pragma once
// test_safetensors: the reader against fixtures and an independent Python parser, the writer,
// sharded folders, bf16/fp8, and every class of corrupted file.

#include <QJsonObject>
#include <QObject>
#include <QTemporaryDir>
#include <QtTest>
#include <string>

class TestSafetensors : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // test_safetensors.cpp
    void fixturesMatchIndependentReader();
    void goldenMaxAbsMatchesGoldenJson();
    void modelFolderCountsParameters();
    void viewsAreZeroCopyAndOutliveTheFile();
    void releaseDropsPagesFromRss();
    void writerRoundTripsEveryDtype();
    void writerStreamsChunksAndCleansUp();
    void writerRejectsMisuse();
    void bf16IsUpperHalfOfFloat32();
    void fp8DecodesOrIsRefusedClearly();
    // test_safetensors_errors.cpp
    void shardedCheckpointThroughIndex();
    void shardedIndexErrors();
    void pickleOnlyFolderRefused();
    void corruptedFilesGiveNamedErrors();
    void headerParserOnBuffer();
    void misalignedTensorIsCopied();

private:
    QTemporaryDir m_tmp;
};

namespace st_test {
/// Whether python3 is on PATH (optional in install-deps.sh); the cross-checks skip without it.
bool havePython();
/// Runs tests/io/st_reference.py on `path` (QSKIP-free: fails the test when python3 fails).
QJsonObject pythonReference(const std::string& path);
/// Writes a raw safetensors file: 8-byte length of `header` (as given), header, data.
std::string writeRaw(const QTemporaryDir& dir, const QString& name, const std::string& header,
                     const std::string& data, uint64_t declaredLength = UINT64_MAX);
} // namespace st_test
