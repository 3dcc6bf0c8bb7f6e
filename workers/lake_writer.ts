/** The lake writer lives below the Worker and the tracker (durable-objects/table_committer/). */
export {
  type OwnerRows,
  type StageReport,
  writeAndStage,
  writeDataFiles,
} from "../durable-objects/table_committer/lake_writer_binding.ts";
