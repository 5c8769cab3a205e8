package privacy

// Version is the version of this module, in the one place it is written.
// privacyctl version prints it; CHANGELOG.md lists what each version
// changed. It follows semantic versioning: before 1.0.0 a minor version
// may change the API.
const Version = "0.2.0"
