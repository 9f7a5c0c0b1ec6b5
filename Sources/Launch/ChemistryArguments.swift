import ArgumentParser
import Chemistry
import Datasets

// Command-line spellings of the Chemistry module's choices (their raw values).
extension OxidationStateSet: ExpressibleByArgument {}
extension ValidityRule: ExpressibleByArgument {}
extension DatasetPreset: ExpressibleByArgument {}
extension DuplicatePolicy: ExpressibleByArgument {}
