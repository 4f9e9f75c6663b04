// The formats library: see README.md. Readers and writers live in the sub-folders.
namespace sluice::formats {}
